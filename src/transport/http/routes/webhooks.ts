/**
 * An app's own webhook endpoints (docs/api.md, "Webhooks"): `POST /v1/webhooks`,
 * `GET /v1/webhooks`, `DELETE /v1/webhooks/:id`, `POST /v1/webhooks/:id/rotate-secret`,
 * `GET /v1/webhooks/failed`, `POST /v1/webhooks/retry`. Registered inside the authenticated
 * `/v1` scope (app.ts), so every one is signed and every POST claims its nonce; the
 * authenticated app scopes each call (WebhookApi: another app's endpoint is ERR_NOT_FOUND).
 */
import type { FastifyInstance } from 'fastify';
import type { WebhookApi } from '../../../domain/ports/webhook-api.js';
import type { RequestAuthenticator } from '../auth.js';
import { webhookRouteSchemas as schemas } from '../webhook-schemas.js';

export interface WebhookRouteDeps {
  readonly api: WebhookApi;
  readonly auth: RequestAuthenticator;
}

interface AddBody {
  url: string;
  events?: string[];
  batch?: boolean;
}

type IdParams = { id: string };

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const { api, auth } = deps;

  app.post<{ Body: AddBody }>('/webhooks', { schema: schemas.addWebhook }, async (request, reply) => {
    return reply.code(201).send(await api.addWebhook(auth.appIdOf(request), request.body));
  });

  app.get('/webhooks', { schema: schemas.listWebhooks }, async (request, reply) => {
    return reply.code(200).send({ endpoints: await api.webhooks(auth.appIdOf(request)) });
  });

  app.delete<{ Params: IdParams }>('/webhooks/:id', { schema: schemas.removeWebhook }, async (request, reply) => {
    await api.removeWebhook(auth.appIdOf(request), request.params.id);
    return reply.code(200).send({ removed: request.params.id });
  });

  app.post<{ Params: IdParams; Body: { overlapHours?: number } }>(
    '/webhooks/:id/rotate-secret',
    { schema: schemas.rotateWebhookSecret },
    async (request, reply) => {
      return reply.code(200).send(await api.rotateWebhookSecret(auth.appIdOf(request), request.params.id, request.body.overlapHours));
    },
  );

  app.get<{ Querystring: { limit?: string } }>('/webhooks/failed', { schema: schemas.failedWebhooks }, async (request, reply) => {
    const { limit } = request.query;
    return reply.code(200).send({ failed: await api.failedWebhooks(auth.appIdOf(request), limit === undefined ? undefined : Number(limit)) });
  });

  app.post<{ Body: { endpointId?: string } }>('/webhooks/retry', { schema: schemas.retryWebhooks }, async (request, reply) => {
    return reply.code(200).send({ requeued: await api.retryWebhooks(auth.appIdOf(request), request.body.endpointId) });
  });
}
