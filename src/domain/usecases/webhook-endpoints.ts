/**
 * An app's webhook endpoints, as `sealpush webhooks ...` and the signed REST routes manage
 * them (docs/webhooks.md): add (the secret shown once, stored wrapped by the KMS), list,
 * remove, rotate the secret with an overlap, list the failed events and send them again.
 * Every change is an audit record; none holds a secret.
 */
import { SealPushError } from '../errors.js';
import { randomBytes, toBase64Url } from '../ids.js';
import type { Kms } from '../ports/kms.js';
import type { AppRegistry } from '../ports/app-registry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { AdminAction, AdminActor } from '../audit.js';
import type { Clock } from '../ports/runtime.js';
import type { StoredWebhookEndpoint, WebhookEndpoints, WebhookEvent, WebhookOutbox } from '../ports/webhooks.js';
import {
  DEFAULT_WEBHOOK_EVENTS,
  WEBHOOK_EVENT_NAMES,
  WEBHOOK_EVENT_TYPES,
  webhookPayload,
  type FailedWebhookView,
  type WebhookEndpointView,
  type WebhookEndpointWithSecret,
  type WebhookEventType,
} from '../webhooks.js';
import { isoOrNull } from '../views.js';
import { recordAdminAction } from './audit.js';

/** The KMS context of an endpoint's signing secret. */
export function webhookSecretContext(endpointId: string): string {
  return `webhook-secret:${endpointId}`;
}

/** How long a rotated-out secret keeps signing alongside the new one, by default: 24 hours. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600_000;

/** The longest overlap of a rotated-out secret: 720 hours (30 days), as for an app secret. */
export const MAX_WEBHOOK_SECRET_OVERLAP_MS = 720 * 3600_000;

/** Most failed events one listing shows, and how many when not told. */
export const MAX_FAILED_WEBHOOKS = 1000;
export const DEFAULT_FAILED_WEBHOOKS = 100;

/** How many failed events to list: a whole number from 1 to MAX_FAILED_WEBHOOKS, else ERR_BAD_REQUEST. */
export function checkFailedWebhookLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FAILED_WEBHOOKS) {
    throw new SealPushError('ERR_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_FAILED_WEBHOOKS}`);
  }
  return limit;
}

/** The most endpoints one app may have. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

const MAX_URL_LENGTH = 2048;
const SECRET_BYTES = 32;

export interface WebhookAdminDeps {
  readonly store: WebhookEndpoints & Pick<WebhookOutbox, 'failedWebhookEvents' | 'requeueWebhookEvents'> & Pick<AppRegistry, 'getApp'> & Pick<AuditLog, 'appendAudit'>;
  readonly kms: Kms;
  readonly clock: Clock;
  /** Who makes the changes, as the audit records say: the operator's CLI (the default) or the app's REST requests. */
  readonly by?: AdminActor;
}


export function webhookEndpointView(e: StoredWebhookEndpoint, now: number): WebhookEndpointView {
  return {
    id: e.id,
    appId: e.appId,
    url: e.url,
    events: e.events,
    batch: e.batch,
    createdAt: new Date(e.createdAt).toISOString(),
    state: e.pausedAt !== null ? 'paused' : e.failingSince !== null ? 'failing' : 'active',
    failingSince: isoOrNull(e.failingSince),
    pausedAt: isoOrNull(e.pausedAt),
    previousSecretUntil: e.previousSecretNotAfter !== null && e.previousSecretNotAfter > now ? isoOrNull(e.previousSecretNotAfter) : null,
  };
}

/** `whsec_` and the standard base64 of the secret's bytes (the Standard Webhooks form). */
export function formatWebhookSecret(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replaceAll('-', '+').replaceAll('_', '/');
  return `whsec_${url}${'='.repeat((4 - (url.length % 4)) % 4)}`;
}

/** The event types of `--events` ("acked,expired" or the full types), checked; the default when absent. */
export function parseWebhookEvents(value: unknown): WebhookEventType[] {
  if (value === undefined) return [...DEFAULT_WEBHOOK_EVENTS];
  const items = typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : value;
  if (!Array.isArray(items) || items.length === 0) {
    throw new SealPushError('ERR_BAD_REQUEST', `events must name at least one of ${WEBHOOK_EVENT_NAMES.join(', ')}`);
  }
  const chosen = new Set<WebhookEventType>();
  for (const item of items) {
    const type = WEBHOOK_EVENT_TYPES.find((t) => t === item || t === `message.${String(item)}`);
    if (type === undefined) throw new SealPushError('ERR_BAD_REQUEST', `unknown webhook event: ${String(item)} (one of ${WEBHOOK_EVENT_NAMES.join(', ')})`);
    chosen.add(type);
  }
  return WEBHOOK_EVENT_TYPES.filter((t) => chosen.has(t));
}

/** An https URL with a host, no credentials and no fragment. */
export function checkWebhookUrl(value: unknown): string {
  const bad = (why: string): SealPushError => new SealPushError('ERR_BAD_REQUEST', `url: ${why}`);
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) throw bad(`must be an https URL of at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'https:') throw bad('must use https');
  if (url.username !== '' || url.password !== '') throw bad('must not hold credentials');
  if (url.hash !== '') throw bad('must not have a fragment');
  return url.toString();
}

export class WebhookAdmin {
  constructor(private readonly deps: WebhookAdminDeps) {}

  private record(action: AdminAction, details: Readonly<Record<string, string | number | boolean | null>>): Promise<void> {
    return recordAdminAction(this.deps, action, { ...details, by: this.deps.by ?? 'operator' });
  }

  async add(appId: string, options: { url: unknown; events?: unknown; batch?: unknown }): Promise<WebhookEndpointWithSecret> {
    const { store, kms, clock } = this.deps;
    const url = checkWebhookUrl(options.url);
    const events = parseWebhookEvents(options.events);
    if (options.batch !== undefined && typeof options.batch !== 'boolean') throw new SealPushError('ERR_BAD_REQUEST', 'batch must be true or false');
    if ((await store.getApp(appId)) === undefined) throw new SealPushError('ERR_NOT_FOUND', `no app ${appId}`);
    if ((await store.webhookEndpoints(appId)).length >= MAX_WEBHOOK_ENDPOINTS) {
      throw new SealPushError('ERR_BAD_REQUEST', `an app has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints`);
    }
    const id = `whep_${toBase64Url(randomBytes(12))}`;
    const secret = randomBytes(SECRET_BYTES);
    const now = clock.now();
    const endpoint: StoredWebhookEndpoint = {
      id, appId, url, events, batch: options.batch === true,
      wrappedSecret: await kms.wrap(secret, webhookSecretContext(id)),
      previousWrappedSecret: null, previousSecretNotAfter: null, createdAt: now, pausedAt: null, failingSince: null,
    };
    await store.addWebhookEndpoint(endpoint);
    await this.record('webhooks.add', { app: appId, endpoint: id, url, events: events.join(','), batch: endpoint.batch });
    return { ...webhookEndpointView(endpoint, now), secret: formatWebhookSecret(secret) };
  }

  async list(appId: string): Promise<WebhookEndpointView[]> {
    const now = this.deps.clock.now();
    return (await this.deps.store.webhookEndpoints(appId)).map((e) => webhookEndpointView(e, now));
  }

  /** The endpoint, if it belongs to `appId` (or to any app when `appId` is undefined: the operator's CLI). */
  async get(id: string, appId?: string): Promise<StoredWebhookEndpoint> {
    const endpoint = await this.deps.store.getWebhookEndpoint(id);
    if (endpoint === undefined || (appId !== undefined && endpoint.appId !== appId)) throw new SealPushError('ERR_NOT_FOUND', `no webhook endpoint ${id}`);
    return endpoint;
  }

  async remove(id: string, appId?: string): Promise<void> {
    const endpoint = await this.get(id, appId);
    if (!(await this.deps.store.removeWebhookEndpoint(id))) throw new SealPushError('ERR_NOT_FOUND', `no webhook endpoint ${id}`);
    await this.record('webhooks.remove', { app: endpoint.appId, endpoint: id });
  }

  /** A new secret; the old one signs alongside for `overlapMs`. */
  async rotateSecret(id: string, appId?: string, overlapMs = WEBHOOK_SECRET_OVERLAP_MS): Promise<WebhookEndpointWithSecret> {
    const { store, kms, clock } = this.deps;
    if (!(overlapMs >= 0 && overlapMs <= MAX_WEBHOOK_SECRET_OVERLAP_MS)) {
      throw new SealPushError('ERR_BAD_REQUEST', `the overlap must be 0 to ${MAX_WEBHOOK_SECRET_OVERLAP_MS / 3600_000} hours`);
    }
    const endpoint = await this.get(id, appId);
    const secret = randomBytes(SECRET_BYTES);
    const now = clock.now();
    if (!(await store.rotateWebhookSecret(id, await kms.wrap(secret, webhookSecretContext(id)), now + overlapMs))) {
      throw new SealPushError('ERR_NOT_FOUND', `no webhook endpoint ${id}`);
    }
    await this.record('webhooks.rotate-secret', { app: endpoint.appId, endpoint: id, overlapMs });
    const rotated = await this.get(id, appId);
    return { ...webhookEndpointView(rotated, now), secret: formatWebhookSecret(secret) };
  }

  async failed(appId: string, limit = DEFAULT_FAILED_WEBHOOKS): Promise<FailedWebhookView[]> {
    const events = await this.deps.store.failedWebhookEvents(appId, checkFailedWebhookLimit(limit));
    return events.map((e: WebhookEvent) => ({
      webhookId: e.id, endpointId: e.endpointId, attempts: e.attempts, lastError: e.lastError, event: webhookPayload(e),
    }));
  }

  /** Sends an app's failed events again (of one endpoint, if given) and resumes its paused endpoints; returns how many. */
  async retry(appId: string, endpointId?: string): Promise<number> {
    if (endpointId !== undefined) await this.get(endpointId, appId);
    else if ((await this.deps.store.getApp(appId)) === undefined) throw new SealPushError('ERR_NOT_FOUND', `no app ${appId}`);
    const count = await this.deps.store.requeueWebhookEvents(appId, endpointId, this.deps.clock.now());
    await this.record('webhooks.retry', { app: appId, endpoint: endpointId ?? null, events: count });
    return count;
  }
}
