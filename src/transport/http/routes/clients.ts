/**
 * `GET /v1/clients/:id` and `DELETE /v1/clients/:id` (forget: docs/forget.md): a client of the
 * authenticated app. Registered inside `/v1` (app.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { PushApi } from '../../../domain/ports/push-api.js';
import type { RequestAuthenticator } from '../auth.js';
import { routeSchemas } from '../schemas.js';

export interface ClientRouteDeps {
  readonly api: PushApi;
  readonly auth: RequestAuthenticator;
}

export function registerClientRoutes(app: FastifyInstance, deps: ClientRouteDeps): void {
  const { api, auth } = deps;
  // Another app's client is ERR_NOT_FOUND (thrown by the domain), never 403: ids do not leak.
  app.get<{ Params: { id: string } }>('/clients/:id', { schema: routeSchemas.clientInfo }, async (request, reply) => {
    return reply.code(200).send(await api.clientInfo(auth.appIdOf(request), request.params.id));
  });
  app.delete<{ Params: { id: string } }>('/clients/:id', { schema: routeSchemas.forgetClient }, async (request, reply) => {
    return reply.code(200).send(await api.forgetClient(auth.appIdOf(request), request.params.id));
  });
}
