/**
 * Webhook endpoints as an app manages its own over the signed REST routes (WebhookApi): the
 * operator's WebhookAdmin, scoped to the authenticated app on every call, its reads spending
 * the app's read budget, and its changes audited with `by: "app"`.
 */
import { SealPushError } from '../errors.js';
import { admitRead, type RateLimit } from '../ports/rate-limit.js';
import type { WebhookApi } from '../ports/webhook-api.js';
import type { FailedWebhookView, WebhookEndpointView, WebhookEndpointWithSecret } from '../webhooks.js';
import {
  DEFAULT_FAILED_WEBHOOKS,
  WEBHOOK_SECRET_OVERLAP_MS,
  WebhookAdmin,
  checkFailedWebhookLimit,
  type WebhookAdminDeps,
} from './webhook-endpoints.js';

export interface AppWebhooksDeps extends Omit<WebhookAdminDeps, 'by'> {
  /** The app's read budget, shared with the other signed reads (Publisher's `readLimit`). Absent: reads are not limited. */
  readonly readLimit?: RateLimit;
}

export class AppWebhooks implements WebhookApi {
  private readonly admin: WebhookAdmin;
  private readonly readLimit: RateLimit | undefined;

  constructor(deps: AppWebhooksDeps) {
    const { readLimit, ...adminDeps } = deps;
    this.admin = new WebhookAdmin({ ...adminDeps, by: 'app' });
    this.readLimit = readLimit;
  }

  addWebhook(appId: string, input: { readonly url: unknown; readonly events?: unknown; readonly batch?: unknown }): Promise<WebhookEndpointWithSecret> {
    return this.admin.add(appId, { url: input.url, events: input.events, batch: input.batch });
  }

  async webhooks(appId: string): Promise<WebhookEndpointView[]> {
    await admitRead(this.readLimit, appId);
    return this.admin.list(appId);
  }

  removeWebhook(appId: string, endpointId: string): Promise<void> {
    return this.admin.remove(endpointId, appId);
  }

  rotateWebhookSecret(appId: string, endpointId: string, overlapHours?: unknown): Promise<WebhookEndpointWithSecret> {
    if (overlapHours !== undefined && typeof overlapHours !== 'number') throw new SealPushError('ERR_BAD_REQUEST', 'overlapHours must be a number of hours');
    const overlapMs = overlapHours === undefined ? WEBHOOK_SECRET_OVERLAP_MS : overlapHours * 3600_000;
    return this.admin.rotateSecret(endpointId, appId, overlapMs);
  }

  async failedWebhooks(appId: string, limit: unknown = DEFAULT_FAILED_WEBHOOKS): Promise<FailedWebhookView[]> {
    const checked = checkFailedWebhookLimit(limit);
    await admitRead(this.readLimit, appId);
    return this.admin.failed(appId, checked);
  }

  retryWebhooks(appId: string, endpointId?: string): Promise<number> {
    return this.admin.retry(appId, endpointId);
  }
}
