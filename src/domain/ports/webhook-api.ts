import type { FailedWebhookView, WebhookEndpointView, WebhookEndpointWithSecret } from '../webhooks.js';

/**
 * What the REST transport asks of the domain about the webhook endpoints of one authenticated
 * app (`/v1/webhooks`, docs/api.md). Every method is scoped to `appId`: another app's endpoint
 * is ERR_NOT_FOUND, changing nothing, exactly like an unknown id, so ids do not leak. Inputs are
 * the untrusted values of the request and are checked here too (ERR_BAD_REQUEST, nothing
 * changed). Reads spend the app's read budget (`limits.readsPerSecondPerApp`, ERR_RATE_LIMITED).
 * Each change is an `admin` audit record with `by: "app"`; no answer but add's and
 * rotate's holds a secret.
 */
export interface WebhookApi {
  /** A new endpoint `{ url, events?, batch? }`; its signing secret is in this answer only. */
  addWebhook(appId: string, input: { readonly url: unknown; readonly events?: unknown; readonly batch?: unknown }): Promise<WebhookEndpointWithSecret>;
  /** The app's endpoints, oldest first; never a secret. */
  webhooks(appId: string): Promise<WebhookEndpointView[]>;
  /** Removes the endpoint and the events still waiting for it. */
  removeWebhook(appId: string, endpointId: string): Promise<void>;
  /** A new secret, in this answer only; the old one signs alongside for `overlapHours` (0 to 720, default 24). */
  rotateWebhookSecret(appId: string, endpointId: string, overlapHours?: unknown): Promise<WebhookEndpointWithSecret>;
  /** The app's events that ran out of retries, oldest first, at most `limit` (1 to 1000, default 100). */
  failedWebhooks(appId: string, limit?: unknown): Promise<FailedWebhookView[]>;
  /** Makes the app's failed events (of one endpoint, if given) due again and resumes paused endpoints; how many events. */
  retryWebhooks(appId: string, endpointId?: string): Promise<number>;
}
