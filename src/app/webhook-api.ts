/**
 * The types of `SealPushApp`'s webhook methods (addWebhook, webhooks, removeWebhook,
 * rotateWebhookSecret, failedWebhooks, retryWebhooks): the answers of `/v1/webhooks`
 * (docs/api.md, "Webhooks") and the options each method takes.
 */
import type { WebhookEventName, WebhookEventType } from '../domain/webhooks.js';

export type {
  FailedWebhookView as FailedWebhook,
  WebhookEndpointView as WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookEventName,
  WebhookEventType,
  WebhookPayload,
} from '../domain/webhooks.js';

export interface AddWebhookOptions {
  /** An https URL, without credentials or fragment; private addresses are refused at send time unless the server allows them. */
  readonly url: string;
  /** What it receives: `delivered`, `acked`, `expired` (or their `message.` types). Default acked and expired. */
  readonly events?: readonly (WebhookEventName | WebhookEventType)[];
  /** Let one request carry several events (`{"type": "batch", "events": [...]}`). Default false. */
  readonly batch?: boolean;
}

export interface RotateWebhookSecretOptions {
  /** How long the old secret still signs alongside the new one, 0 to 720 hours. Default 24; 0 when it leaked. */
  readonly overlapHours?: number;
}

export interface FailedWebhooksOptions {
  /** At most this many, 1 to 1000. Default 100. */
  readonly limit?: number;
}

export interface RetryWebhooksOptions {
  /** Only this endpoint's failed events (and only it resumed). Default: all of the app's. */
  readonly endpointId?: string;
}
