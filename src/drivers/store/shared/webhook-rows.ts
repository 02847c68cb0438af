/** The webhook tables' rows (the same columns in every engine) and their mapping to domain types. */
import type { StoredWebhookEndpoint, WebhookAppSummary, WebhookEvent } from '../../../domain/ports/webhooks.js';
import { eventTypeOfCode, eventsOfMask } from '../../../domain/webhooks.js';

/** The outbox's states. */
export const WEBHOOK_PENDING = 0;
export const WEBHOOK_FAILED = 1;

export interface WebhookEndpointRow {
  id: string; app_id: string; url: string; events: number; batch: number; wrapped_secret: Uint8Array;
  previous_wrapped_secret: Uint8Array | null; previous_secret_not_after: number | null; created_at: number;
  paused_at: number | null; failing_since: number | null;
}

export const WEBHOOK_ENDPOINT_COLUMNS =
  'id, app_id, url, events, batch, wrapped_secret, previous_wrapped_secret, previous_secret_not_after, created_at, paused_at, failing_since';

export interface WebhookEventRow {
  no: number; id: string; endpoint_id: string; app_id: string; type: number; at: number; message_id: string; client_id: string;
  created_at: number; expires_at: number; delivered_at: number | null; acked_at: number | null; attempts: number; next_at: number;
  last_error: string | null; retry_from: number | null;
}

export const WEBHOOK_EVENT_COLUMNS =
  'no, id, endpoint_id, app_id, type, at, message_id, client_id, created_at, expires_at, delivered_at, acked_at, attempts, next_at, last_error, retry_from';


/** Per app: its endpoints, failing, paused, and failed events (WebhookOutbox.webhookAppSummaries). */
export const WEBHOOK_APP_SUMMARIES = `SELECT e.app_id, COUNT(*) AS endpoints,
      SUM(CASE WHEN e.failing_since IS NOT NULL AND e.paused_at IS NULL THEN 1 ELSE 0 END) AS failing,
      SUM(CASE WHEN e.paused_at IS NOT NULL THEN 1 ELSE 0 END) AS paused,
      SUM((SELECT COUNT(*) FROM webhook_events v WHERE v.endpoint_id = e.id AND v.state = ${WEBHOOK_FAILED})) AS failed_events
    FROM webhook_endpoints e GROUP BY e.app_id ORDER BY e.app_id`;

export interface WebhookAppSummaryRow { app_id: string; endpoints: number; failing: number | null; paused: number | null; failed_events: number | null }

export function toWebhookAppSummary(row: WebhookAppSummaryRow): WebhookAppSummary {
  return {
    appId: row.app_id,
    endpoints: Number(row.endpoints),
    failing: Number(row.failing ?? 0),
    paused: Number(row.paused ?? 0),
    failedEvents: Number(row.failed_events ?? 0),
  };
}

export function toWebhookEndpoint(row: WebhookEndpointRow): StoredWebhookEndpoint {
  return {
    id: row.id,
    appId: row.app_id,
    url: row.url,
    events: eventsOfMask(Number(row.events)),
    batch: Number(row.batch) === 1,
    wrappedSecret: new Uint8Array(row.wrapped_secret),
    previousWrappedSecret: row.previous_wrapped_secret === null ? null : new Uint8Array(row.previous_wrapped_secret),
    previousSecretNotAfter: row.previous_secret_not_after === null ? null : Number(row.previous_secret_not_after),
    createdAt: Number(row.created_at),
    pausedAt: row.paused_at === null ? null : Number(row.paused_at),
    failingSince: row.failing_since === null ? null : Number(row.failing_since),
  };
}

export function toWebhookEvent(row: WebhookEventRow): WebhookEvent {
  return {
    no: Number(row.no),
    id: row.id,
    endpointId: row.endpoint_id,
    appId: row.app_id,
    type: eventTypeOfCode(Number(row.type)),
    at: Number(row.at),
    messageId: row.message_id,
    clientId: row.client_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    ackedAt: row.acked_at === null ? null : Number(row.acked_at),
    attempts: Number(row.attempts),
    nextAt: Number(row.next_at),
    lastError: row.last_error,
    retryFrom: row.retry_from === null ? Number(row.at) : Number(row.retry_from),
  };
}
