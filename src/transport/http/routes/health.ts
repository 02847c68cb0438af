/**
 * Unsigned probes for load balancers and orchestrators: `GET /healthz` (the process serves
 * HTTP) and `GET /readyz` (the node accepts work; 503 ERR_UNAVAILABLE while starting,
 * draining or cut off from its store, so the balancer stops sending it publishes).
 */
import type { FastifyInstance } from 'fastify';
import { SealPushError } from '../../../domain/errors.js';
import type { Readiness } from '../../../domain/ports/push-api.js';
import { sendError } from '../errors.js';
import { routeSchemas } from '../schemas.js';

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', { schema: routeSchemas.health }, async (_request, reply) => {
    return reply.code(200).send({ status: 'ok' });
  });

  app.get('/readyz', { schema: routeSchemas.ready }, async (_request, reply) => {
    if (await readiness.ready()) return reply.code(200).send({ ready: true });
    return sendError(reply, new SealPushError('ERR_UNAVAILABLE'));
  });
}
