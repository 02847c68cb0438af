/** One signed POST of a webhook (Standard Webhooks: docs/webhooks.md). */
export interface WebhookRequest {
  readonly url: string;
  /** `webhook-id`: the event's id (a batch: its first event's). */
  readonly id: string;
  /** `webhook-timestamp`: seconds since the epoch. */
  readonly timestamp: number;
  /** The JSON body, exactly as signed. */
  readonly body: string;
  /** The signing secrets' raw bytes (the current one, then a rotated-out one still in its overlap). */
  readonly secrets: readonly Uint8Array[];
}

/**
 * How an attempt ended. `ok`: a 2xx answer. Otherwise `error` says why, without a body: an
 * HTTP status ("http 500"), or a class of failure ("timeout", "refused", "private-address",
 * "tls", "redirect", ...), and `retryAfterMs` what a 429 or 503 asked for, if it did.
 */
export type WebhookAttempt = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly retryAfterMs?: number };

/**
 * Sends webhooks: signs each request (HMAC-SHA256 of "id.timestamp.body" under every secret)
 * and POSTs it. Contract (test/integration/webhooks-*.test.ts): never follows a redirect;
 * bounds the time and the size of the answer it reads; refuses, at connect time, an address
 * that is loopback, private or link-local unless the driver was told to allow them; never
 * logs a secret or a body. It resolves (never rejects) with the attempt's outcome.
 */
export interface WebhookTransport {
  send(request: WebhookRequest): Promise<WebhookAttempt>;
  close(): Promise<void>;
}
