/**
 * `sealpush/app`: the back-end SDK. An application publishes results to its clients and asks
 * for their status over the signed REST API. Uses only `fetch` and WebCrypto, so it runs in
 * Node 20+, Deno, Bun and edge runtimes.
 *
 * Errors: every failure is a SealPushError whose `code` is the server's (`switch (err.code)`
 * narrows); a network failure or timeout is ERR_UNAVAILABLE.
 *
 * Retries (option `retry`, on by default): reads and publishes are sent again, each attempt
 * signed anew, after 429 (waiting at least its Retry-After), 502, 503, 504, a network error or
 * a timeout, with exponential backoff and jitter (retry.ts). A publish is retried because it
 * is idempotent: with retries on, the SDK gives every message without an `id` a generated one,
 * and the server answers a known `id` with the first message instead of creating a second.
 * So a publish whose answer was lost is sent again and still delivers once. `forgetClient` is
 * never retried. With `retry: false` nothing is retried and no id is generated (unless sealing
 * or signing needs one); a publish that failed with ERR_UNAVAILABLE may then have been
 * committed: give it an `id` and send it again yourself.
 */
import { ERROR_CATALOGUE, SealPushError, type ErrorCode, errorMessage } from '../domain/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, parseJsonWithin } from '../domain/json-depth.js';
import type { ClientView, ForgottenClientView, MessageView, PublishAccepted, PublishResult, ReceiptView } from '../domain/views.js';
import { RequestSigner, type RequestToSign } from './signing.js';
import { bearerAuthorization, type BearerBindingClaims } from './bearer.js';
import { MessageProtection, type SigningKeyInput, type WireMessage } from './protection.js';
import { RetrySchedule, isTransient, pause, retryAfterSeconds, retryPolicy, type RetryOptions, type RetryPolicy } from './retry.js';
import { newMessageId } from '../domain/ids.js';
import {
  type AddWebhookOptions,
  type FailedWebhook,
  type FailedWebhooksOptions,
  type RetryWebhooksOptions,
  type RotateWebhookSecretOptions,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
} from './webhook-api.js';

export { verifyReceipt, type ReceiptVerdict } from './receipts.js';
export { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, type WebhookHeaders, type WebhookBody, type WebhookPayload, type WebhookBatchPayload, type WebhookBatchEntry, type WebhookEventType } from './webhooks.js';
export { bearerClaims, DEFAULT_JWT_AUDIENCE, EMPTY_BODY_SHA256_B64URL, type BearerBindingClaims, type BearerRequest } from './bearer.js';

export { SealPushError, isSealPushError, type ErrorCode } from '../domain/errors.js';
export type { ClientView, ForgottenClientView, MessageView, PublishAccepted, PublishRefused, PublishResult, ReceiptView } from '../domain/views.js';
export type MessageStatus = MessageView['status'];
export type { SigningKeyInput } from './protection.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export type * from './webhook-api.js';

export interface SealPushAppOptions {
  /** Base URL of the sealpush server, e.g. `https://push.example.com` (a path prefix is kept). */
  readonly url: string;
  readonly appId: string;
  /** The app secret as issued: 43 characters of base64url. Give it or `bearerToken`, not both. */
  readonly secret?: string;
  /**
   * Bearer tokens instead of the app secret (docs/api.md "Bearer tokens"): called for every
   * request with the claims that bind a token to it (`aud`, `htm`, `htu`, `bh`), it returns a
   * compact JWT carrying them plus `iss`, `iat`, `exp` (at most 300 s after `iat`) and a fresh
   * `jti`, signed with a key registered by `sealpush apps jwt-key`.
   */
  readonly bearerToken?: (claims: BearerBindingClaims) => Promise<string> | string;
  /** The server's `jwtAudience`, the `aud` of the bearer tokens. Default "sealpush". */
  readonly jwtAudience?: string;
  /** A fetch implementation; default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /** Per-attempt timeout in milliseconds (ERR_UNAVAILABLE when it passes; then retried, see `retry`). Default 10000. */
  readonly timeoutMs?: number;
  /**
   * Retries of reads and publishes after 429, 502, 503, 504, a network error or a timeout:
   * `true` (the default: DEFAULT_RETRY, 3 attempts, delays from 250 ms doubling up to 5000 ms,
   * jittered, at least the server's Retry-After), `{ attempts, minDelayMs, maxDelayMs }`, or
   * `false` (never retry). While on, every published message without an `id` gets a generated
   * one, which makes sending it again safe: it is delivered once however often it is sent.
   */
  readonly retry?: boolean | RetryOptions;
  /**
   * The app's Ed25519 private key (PEM PKCS#8, base64url of its 32-byte seed, a private JWK or
   * a CryptoKey): when given, every message is signed for its app, client and message id
   * (docs/relay-blind.md), and gets a generated `id` if it has none. Register the public half
   * with `sealpush apps signing-key`, and give it to clients as `publisherKey`.
   */
  readonly signingKey?: SigningKeyInput;
}

export interface PublishMessage {
  /** The recipient client id (the client passes it to the application). */
  readonly to: string;
  /** Any JSON value. */
  readonly data: unknown;
  /** Seconds until the message expires undelivered; the server's default when omitted. */
  readonly ttl?: number;
  /** Idempotency key: makes a retry of this publish safe. Generated here when absent and retries are on, or when sealing or signing. */
  readonly id?: string;
  /**
   * Relay-blind: seal `data` with HPKE to the client's own key, so that sealpush stores and
   * forwards only ciphertext. `true` uses the key sealpush serves for the client (fetched once,
   * then cached); `{ hpkeKey }` seals to a key the app pinned itself, which a compromised
   * sealpush cannot substitute. ERR_SEALED_MESSAGE when the client published no key.
   */
  readonly seal?: boolean | { readonly hpkeKey: string };
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export class SealPushApp {
  private readonly base: string;
  private readonly authorize: (request: RequestToSign) => Promise<string>;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly protection: MessageProtection;
  private readonly retry: RetryPolicy | null;

  /** Throws SealPushError ERR_BAD_REQUEST for an invalid url, secret, timeout or retry, or neither or both of secret and bearerToken. */
  constructor(options: SealPushAppOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new SealPushError('ERR_BAD_REQUEST', 'url must be an absolute http(s) URL');
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new SealPushError('ERR_BAD_REQUEST', 'url must be an absolute http(s) URL');
    }
    this.base = base.origin + base.pathname.replace(/\/+$/, '');
    if ((options.secret === undefined) === (options.bearerToken === undefined)) {
      throw new SealPushError('ERR_BAD_REQUEST', 'give secret (signed requests) or bearerToken (JWTs), not both');
    }
    if (options.bearerToken) {
      this.authorize = bearerAuthorization(options.bearerToken, options.jwtAudience);
    } else {
      let signer: RequestSigner;
      try {
        signer = new RequestSigner(options.appId, options.secret!);
      } catch (err) {
        throw new SealPushError('ERR_BAD_REQUEST', `secret: ${errorMessage(err)}`);
      }
      this.authorize = (request) => signer.authorization(request);
    }
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new SealPushError('ERR_BAD_REQUEST', 'timeoutMs must be a positive number');
    }
    this.retry = retryPolicy(options.retry);
    this.protection = new MessageProtection(options.appId, options.signingKey, async (clientId) => (await this.client(clientId)).hpkeKey);
  }

  /** Resolves once the message is durably committed. A refused message throws its code. */
  async publish(message: PublishMessage): Promise<PublishAccepted> {
    const wire = await this.protection.protect(this.withId(message));
    return this.request<PublishAccepted>('POST', '/v1/messages', wire, wire.id !== undefined);
  }

  /**
   * Publishes 1 to 1000 messages in one request. Resolves with one result per message, in
   * order; a refused message is a `{ error: { code, message } }` result, not a throw.
   */
  async publishBatch(messages: readonly PublishMessage[]): Promise<PublishResult[]> {
    const wire = await Promise.all(messages.map((message) => this.protection.protect(this.withId(message))));
    const idempotent = wire.every((message: WireMessage) => message.id !== undefined);
    const body = await this.request<{ results: PublishResult[] }>('POST', '/v1/messages/batch', { messages: wire }, idempotent);
    return body.results;
  }

  /** ERR_NOT_FOUND for an unknown id or another app's message. */
  async status(messageId: string): Promise<MessageView> {
    return this.request<MessageView>('GET', `/v1/messages/${pathSegment(messageId)}`);
  }

  /**
   * The client's signed ACK of this message: check it with `verifyReceipt(receipt, ackKey)`
   * against the ack key the client gave you, not the one in the answer. ERR_NOT_FOUND for an
   * unknown id or another app's message; ERR_NO_RECEIPT while it is not acked, or when it was
   * acked without a signature (a client without an ack key).
   */
  async receipt(messageId: string): Promise<ReceiptView> {
    return this.request<ReceiptView>('GET', `/v1/messages/${pathSegment(messageId)}/receipt`);
  }

  /** ERR_NOT_FOUND for an unknown id or another app's client. */
  async client(clientId: string): Promise<ClientView> {
    return this.request<ClientView>('GET', `/v1/clients/${pathSegment(clientId)}`);
  }

  /**
   * Forgets the client (crypto-shredding, docs/forget.md): its key and every message of it
   * are destroyed and its connection is closed; its id is never valid again. ERR_NOT_FOUND
   * for an unknown (or already forgotten) id or another app's client.
   */
  async forgetClient(clientId: string): Promise<ForgottenClientView> {
    return this.request<ForgottenClientView>('DELETE', `/v1/clients/${pathSegment(clientId)}`);
  }

  /** Adds a webhook endpoint to this app (docs/api.md, "Webhooks"). Its `secret` is in this answer only: keep it. */
  async addWebhook(options: AddWebhookOptions): Promise<WebhookEndpointWithSecret> {
    const { url, events, batch } = options;
    return this.request<WebhookEndpointWithSecret>('POST', '/v1/webhooks', { url, events, batch });
  }

  /** This app's webhook endpoints and their state, oldest first; never a secret. */
  async webhooks(): Promise<WebhookEndpoint[]> {
    return (await this.request<{ endpoints: WebhookEndpoint[] }>('GET', '/v1/webhooks')).endpoints;
  }

  /** Removes an endpoint and the events still waiting for it. ERR_NOT_FOUND for an unknown id or another app's. */
  async removeWebhook(endpointId: string): Promise<void> {
    await this.request<{ removed: string }>('DELETE', `/v1/webhooks/${pathSegment(endpointId)}`);
  }

  /** A new signing secret, in this answer only; the old one still signs until `previousSecretUntil`. */
  async rotateWebhookSecret(endpointId: string, options: RotateWebhookSecretOptions = {}): Promise<WebhookEndpointWithSecret> {
    // JSON.stringify leaves out an option that is undefined, as the server expects.
    return this.request<WebhookEndpointWithSecret>('POST', `/v1/webhooks/${pathSegment(endpointId)}/rotate-secret`, { overlapHours: options.overlapHours });
  }

  /** This app's webhook events that ran out of retries, oldest first. */
  async failedWebhooks(options: FailedWebhooksOptions = {}): Promise<FailedWebhook[]> {
    const query = options.limit === undefined ? '' : `?limit=${encodeURIComponent(String(options.limit))}`;
    return (await this.request<{ failed: FailedWebhook[] }>('GET', `/v1/webhooks/failed${query}`)).failed;
  }

  /** Sends the failed events again (of one endpoint, if given) and resumes paused endpoints; how many events. */
  async retryWebhooks(options: RetryWebhooksOptions = {}): Promise<{ requeued: number }> {
    return this.request<{ requeued: number }>('POST', '/v1/webhooks/retry', { endpointId: options.endpointId });
  }

  /** With retries on, the message with an id (its own or a generated one), so that sending it again is safe. */
  private withId(message: PublishMessage): PublishMessage {
    return this.retry !== null && message.id === undefined ? { ...message, id: newMessageId() } : message;
  }

  /** Sends one request; again, signed anew, while it is `idempotent`, fails transiently and the retry policy allows. */
  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, payload?: unknown, idempotent = method === 'GET'): Promise<T> {
    const url = new URL(this.base + path);
    const body = payload === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(payload));
    const schedule = idempotent && this.retry !== null ? new RetrySchedule(this.retry) : null;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.exchange(method, url, body);
      const { status, json } = answer;
      if (status !== undefined && status >= 200 && status < 300 && typeof json === 'object' && json !== null) return json as T;
      const error = status === undefined ? answer.failure : errorFromResponse(status, json, answer.retryAfterSeconds);
      const wait = schedule !== null && isTransient(status) ? schedule.next(error.retryAfterSeconds) : undefined;
      if (wait === undefined) throw attempt === 1 ? error : new SealPushError(error.code, `${error.message} (after ${attempt} attempts)`, error.retryAfterSeconds);
      await pause(wait);
    }
  }

  /** One signed attempt (a fresh nonce and timestamp each time): the answer, or why none came. */
  private async exchange(method: 'GET' | 'POST' | 'DELETE', url: URL, body: Uint8Array<ArrayBuffer>): Promise<Answer> {
    // Sign what is actually sent: the URL as parsed (it may normalise), the exact body bytes.
    const authorization = await this.authorize({ method, pathWithQuery: url.pathname + url.search, body });
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (method === 'POST') headers['content-type'] = 'application/json';
    // The timeout covers the whole exchange, reading the response body included.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const response = await this.fetchImpl(url, { method, headers, ...(method === 'POST' ? { body } : {}), signal: abort.signal });
      const json = parseJson(await response.text());
      return { status: response.status, json, retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')) };
    } catch (err) {
      return { status: undefined, failure: new SealPushError('ERR_UNAVAILABLE', `sealpush did not answer: ${errorMessage(err)}`) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the server (or something in between) answered, or (no status) why nothing was. */
type Answer =
  | { readonly status: number; readonly json: unknown; readonly retryAfterSeconds: number | undefined }
  | { readonly status: undefined; readonly json?: undefined; readonly failure: SealPushError };

/** One URL path segment. `.` and `..` cannot be sent (URL parsers resolve them away). */
function pathSegment(id: string): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..') {
    throw new SealPushError('ERR_BAD_REQUEST', 'an id must be a non-empty string other than "." and ".."');
  }
  return encodeURIComponent(id);
}

/** A response body; undefined when it is not JSON, or nests deeper than any answer of sealpush does. */
function parseJson(text: string): unknown {
  try {
    return parseJsonWithin(text, DEFAULT_MAX_JSON_DEPTH);
  } catch {
    return undefined;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/** The server's error, or (from something in between, such as a proxy) the closest code. */
function errorFromResponse(status: number, json: unknown, retryAfter: number | undefined): SealPushError {
  const error = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (isErrorCode(code)) return new SealPushError(code, typeof message === 'string' ? message : undefined, retryAfter);
  }
  const note = `HTTP ${status} without a sealpush error body`;
  if (status === 429 || status === 502 || status === 503 || status === 504) return new SealPushError('ERR_UNAVAILABLE', note, retryAfter);
  if (status === 413) return new SealPushError('ERR_TOO_LARGE', note);
  if (status === 404) return new SealPushError('ERR_NOT_FOUND', note);
  if (status >= 400 && status < 500) return new SealPushError('ERR_BAD_REQUEST', note);
  return new SealPushError('ERR_INTERNAL', note);
}
