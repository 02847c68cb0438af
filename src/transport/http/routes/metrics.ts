/**
 * `GET /metrics`: the node's metrics in Prometheus text format (docs/metrics.md). Unsigned,
 * like /readyz, for a scraper on the private network; it holds counts only, never an id or
 * a secret (labels are error codes and 'ok').
 */
import type { FastifyInstance } from 'fastify';
import { routeSchemas } from '../schemas.js';

/** What the route serves: the exposition of a metrics registry. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export function registerMetricsRoute(app: FastifyInstance, metrics: MetricsSource): void {
  app.get('/metrics', { schema: routeSchemas.metrics }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.code(200).header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}
