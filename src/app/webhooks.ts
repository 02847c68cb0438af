/**
 * Verifying a webhook request that sealpush sent (docs/webhooks.md): the Standard Webhooks
 * signature, `v1,` and the base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body" under the
 * endpoint's secret, checked by the `standardwebhooks` package (plain JavaScript, no Node
 * built-in: it runs wherever this SDK does), and a timestamp within the specification's
 * 5 minutes of this machine's clock, so that a captured request cannot be replayed later.
 *
 * A secret rotation needs nothing here: for its overlap sealpush signs with the old and the
 * new secret (two signatures in one header), so a receiver holding either one verifies.
 */
import { Webhook } from 'standardwebhooks';
import { SealPushError } from '../domain/errors.js';
import type { WebhookBody } from '../domain/webhooks.js';

export type { WebhookBatchEntry, WebhookBatchPayload, WebhookBody, WebhookEventType, WebhookPayload } from '../domain/webhooks.js';

/** A request's headers: a fetch `Headers`, or an object of them in any case (Node's `req.headers`). */
export type WebhookHeaders = Headers | { readonly [name: string]: string | readonly string[] | undefined };

/** How far the timestamp may be from this machine's clock, either way: the specification's 5 minutes. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
type SignedHeaders = Record<(typeof SIGNED_HEADERS)[number], string>;

/**
 * The body of a request sealpush signed, parsed: one event (`message.delivered`, `message.acked`
 * or `message.expired`) or, for an endpoint added with `--batch`, `{ type: "batch", events }`.
 * Give the body exactly as received (the raw bytes or their text), never JSON parsed and
 * serialised again. `secret` is the endpoint's `whsec_...` secret.
 *
 * Throws SealPushError: ERR_AUTH_MISSING when a webhook-* header is missing or malformed;
 * ERR_AUTH_EXPIRED when the timestamp is more than WEBHOOK_TOLERANCE_SECONDS from this
 * machine's clock; ERR_AUTH_SIGNATURE when no v1 signature matches this secret and body;
 * ERR_BAD_REQUEST when the secret is not a Standard Webhooks secret, or a body that verified
 * is not JSON. Answer a request that fails with a 4xx (err.httpStatus: 401): sealpush retries it.
 */
export function verifyWebhook(headers: WebhookHeaders, body: string | Uint8Array, secret: string): WebhookBody {
  const signed = signedHeaders(headers);
  const text = bodyText(body);
  const webhook = signer(secret);
  const stale = timestampError(signed['webhook-timestamp']);
  if (stale !== undefined) throw stale;
  try {
    webhook.verify(text, signed, { jsonParse: false });
  } catch (err) {
    // The package looks at the clock again: a request at the window's very edge may pass above and not there.
    if (/timestamp/i.test((err as Error).message)) throw timestampError(signed['webhook-timestamp'], 0)!;
    throw new SealPushError(
      'ERR_AUTH_SIGNATURE',
      "no v1 signature in webhook-signature matches this secret and body: check that the secret is the endpoint's (whsec_...) and that the body is verified as received, before any parsing",
    );
  }
  try {
    return JSON.parse(text) as WebhookBody;
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', 'the body verified but is not JSON: it was not sent by sealpush');
  }
}

function signedHeaders(headers: WebhookHeaders): SignedHeaders {
  const get = headerReader(headers);
  const out: Partial<SignedHeaders> = {};
  for (const name of SIGNED_HEADERS) {
    const value = get(name);
    if (value === undefined || value.trim() === '') throw new SealPushError('ERR_AUTH_MISSING', `the ${name} header is missing: not a webhook request`);
    out[name] = value.trim();
  }
  return out as SignedHeaders;
}

/** A header's value by its lower-case name; several values (a repeated header) joined by spaces. */
function headerReader(headers: WebhookHeaders): (name: string) => string | undefined {
  if (typeof (headers as Headers)?.get === 'function') return (name) => (headers as Headers).get(name) ?? undefined;
  if (typeof headers !== 'object' || headers === null) throw new SealPushError('ERR_BAD_REQUEST', 'headers must be a Headers or an object of header values');
  const byName = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const));
  return (name) => {
    const value = byName.get(name);
    if (typeof value === 'string') return value;
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(' ') : undefined;
  };
}

/** The body as the text that was signed: bytes must be UTF-8, a byte-order mark kept (it was signed too). */
function bodyText(body: string | Uint8Array): string {
  if (typeof body === 'string') return body;
  if (!(body instanceof Uint8Array)) throw new SealPushError('ERR_BAD_REQUEST', 'body must be the raw request body: a string or a Uint8Array');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new SealPushError('ERR_AUTH_SIGNATURE', 'the body is not UTF-8: it is not what sealpush signed');
  }
}

function signer(secret: string): Webhook {
  if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
    throw new SealPushError('ERR_BAD_REQUEST', "secret must be the endpoint's signing secret, whsec_ and base64");
  }
  try {
    return new Webhook(secret);
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', "secret must be the endpoint's signing secret, whsec_ and base64");
  }
}

/**
 * Why `value` is not an acceptable timestamp (whole Unix seconds at most `tolerance` from this
 * machine's clock), or undefined when it is.
 */
function timestampError(value: string, tolerance = WEBHOOK_TOLERANCE_SECONDS): SealPushError | undefined {
  if (!/^\d{1,12}$/.test(value)) return new SealPushError('ERR_AUTH_MISSING', 'the webhook-timestamp header is not Unix seconds');
  const now = Math.floor(Date.now() / 1000);
  const off = Number(value) - now;
  if (Math.abs(off) <= tolerance) return undefined;
  return new SealPushError(
    'ERR_AUTH_EXPIRED',
    `webhook-timestamp is ${Math.abs(off)} s ${off < 0 ? 'behind' : 'ahead of'} this machine's clock (${now}); at most ${WEBHOOK_TOLERANCE_SECONDS} s is accepted: a replay, or a clock to synchronise (NTP)`,
  );
}
