/**
 * Webhooks (docs/webhooks.md): the event types, how an endpoint's subscription is stored, the
 * body of an event as the Standard Webhooks specification has it, and the retry schedule.
 */
import { isoOrNull, type ReceiptView } from './views.js';

/** The event types, in catalogue order; the store keeps an endpoint's subscription as a bit mask of these. */
export const WEBHOOK_EVENT_TYPES = ['message.delivered', 'message.acked', 'message.expired'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The names `--events` takes: the type without its `message.` prefix. */
export const WEBHOOK_EVENT_NAMES = ['delivered', 'acked', 'expired'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];

/** What an endpoint receives when its events are not given. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = ['message.acked', 'message.expired'];

/** The event type's bit in an endpoint's mask (and its code in the outbox). */
export const WEBHOOK_EVENT_CODE: Readonly<Record<WebhookEventType, number>> = {
  'message.delivered': 1,
  'message.acked': 2,
  'message.expired': 4,
};

export function eventMask(events: readonly WebhookEventType[]): number {
  return events.reduce((mask, type) => mask | WEBHOOK_EVENT_CODE[type], 0);
}

export function eventsOfMask(mask: number): WebhookEventType[] {
  return WEBHOOK_EVENT_TYPES.filter((type) => (mask & WEBHOOK_EVENT_CODE[type]) !== 0);
}

export function eventTypeOfCode(code: number): WebhookEventType {
  const type = WEBHOOK_EVENT_TYPES.find((t) => WEBHOOK_EVENT_CODE[t] === code);
  if (type === undefined) throw new Error(`webhooks: no event type has code ${code}`);
  return type;
}

/** A signed ACK as a webhook shows it: GET /v1/messages/:id/receipt's answer (docs/receipts.md). */
export type WebhookReceipt = ReceiptView;

/** What an event reports (an outbox row, WebhookEvent, adds its bookkeeping): a snapshot of the message at the change. */
export interface WebhookEventFields {
  readonly type: WebhookEventType;
  /** When the change committed, ms. */
  readonly at: number;
  readonly messageId: string;
  readonly clientId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly deliveredAt: number | null;
  readonly ackedAt: number | null;
}

export interface WebhookPayload {
  readonly type: WebhookEventType;
  readonly timestamp: string;
  readonly data: {
    readonly id: string;
    readonly to: string;
    readonly status: 'delivered' | 'acked' | 'expired';
    readonly createdAt: string;
    readonly deliveredAt: string | null;
    readonly ackedAt: string | null;
    readonly expiresAt: string;
  };
  readonly receipt?: WebhookReceipt;
}

/**
 * One event's JSON object. `status` is the one the event reports, not the message's status
 * now: a delivered event sent after the ack still says delivered (and its ackedAt is null).
 */
export function webhookPayload(event: WebhookEventFields, receipt?: WebhookReceipt): WebhookPayload {
  const status = event.type === 'message.delivered' ? 'delivered' : event.type === 'message.acked' ? 'acked' : 'expired';
  const payload: WebhookPayload = {
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      id: event.messageId,
      to: event.clientId,
      status,
      createdAt: new Date(event.createdAt).toISOString(),
      deliveredAt: isoOrNull(event.deliveredAt),
      ackedAt: event.type === 'message.acked' ? isoOrNull(event.ackedAt) : null,
      expiresAt: new Date(event.expiresAt).toISOString(),
    },
  };
  return receipt === undefined ? payload : { ...payload, receipt };
}

/** An endpoint as the CLI and the API show it: never its secret. */
export interface WebhookEndpointView {
  readonly id: string;
  readonly appId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly batch: boolean;
  readonly createdAt: string;
  /** "active", "failing" (its last attempts failed) or "paused" (it kept failing: `webhooks retry` resumes it). */
  readonly state: 'active' | 'failing' | 'paused';
  readonly failingSince: string | null;
  readonly pausedAt: string | null;
  /** Until when the rotated-out secret still signs; null: none. */
  readonly previousSecretUntil: string | null;
}

/** Shown once, when it is added or its secret rotated. */
export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  readonly secret: string;
}

export interface FailedWebhookView {
  readonly webhookId: string;
  readonly endpointId: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly event: WebhookPayload;
}

/** One event inside a batch: its own webhook-id beside it, so that a receiver deduplicates per event. */
export type WebhookBatchEntry = WebhookPayload & { readonly id: string };

/**
 * The body of a batched request (`--batch` endpoints only). Its `webhook-id` is batchWebhookId:
 * a retry after a crash may carry more events than the first try, so the request's id names its
 * span, and each event its own id.
 */
export function webhookBatchPayload(events: readonly WebhookBatchEntry[]): WebhookBatchPayload {
  return { type: 'batch', events };
}

export interface WebhookBatchPayload {
  readonly type: 'batch';
  readonly events: readonly WebhookBatchEntry[];
}

/** What a webhook request's body holds: one event, or (a `--batch` endpoint) a batch of them. */
export type WebhookBody = WebhookPayload | WebhookBatchPayload;

/** `batch_`, the first event's id and the number of events: the same span, the same id. */
export function batchWebhookId(firstId: string, count: number): string {
  return `batch_${firstId.replace(/^evt_/, '')}_${count}`;
}

/** First retry after about 1 s, doubling; no wait longer than 5 minutes. */
export const WEBHOOK_FIRST_RETRY_MS = 1000;
export const WEBHOOK_MAX_RETRY_MS = 5 * 60_000;

/**
 * The wait before attempt `attempts + 1`, after `attempts` failed ones (1 or more): 1 s,
 * 2 s, 4 s ... capped at 5 minutes, each scaled by a jitter in [0.5, 1.0) so that the
 * retries of many events spread out. `random` is a number in [0, 1).
 */
export function webhookRetryDelay(attempts: number, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const base = Math.min(WEBHOOK_FIRST_RETRY_MS * 2 ** exponent, WEBHOOK_MAX_RETRY_MS);
  return Math.round(base * (0.5 + random / 2));
}
