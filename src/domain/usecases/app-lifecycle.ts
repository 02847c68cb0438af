import { SealPushError } from '../errors.js';
import { newAppSecret } from '../ids.js';
import type { Kms } from '../ports/kms.js';
import type { AppRegistry, DeletedApp } from '../ports/app-registry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/runtime.js';
import { appSecretContext } from './apps.js';
import { recordAdminAction } from './audit.js';

const HOUR_MS = 3_600_000;
/** The longest overlap `apps rotate-secret` gives the old secret: 30 days. */
export const MAX_SECRET_OVERLAP_HOURS = 720;
/** Its default: a day, time to roll the new secret out to every back end. */
export const DEFAULT_SECRET_OVERLAP_HOURS = 24;

export interface RotatedSecret {
  readonly appId: string;
  /** Shown once: only its wrapped form is stored. */
  readonly secret: string;
  /** Until when (ms since the epoch) the replaced secret still verifies; now with no overlap. */
  readonly previousNotAfter: number;
}

/**
 * The operator's app lifecycle: a new secret with an overlap for the old one, and deletion
 * of an app with everything of it. Running nodes see either within DELIVERY_CACHE_MS (Apps
 * reads the app at most that often); each is one admin audit record.
 */
export class AppLifecycle {
  constructor(
    private readonly deps: { readonly store: Pick<AppRegistry, 'getApp' | 'rotateAppSecret' | 'deleteApp'> & Pick<AuditLog, 'appendAudit'>; readonly kms: Kms; readonly clock: Clock },
  ) {}

  /**
   * A new secret for the app, returned once; the one it replaces keeps verifying for
   * `overlapHours` (0 to MAX_SECRET_OVERLAP_HOURS; 0 refuses it at once). A secret still in
   * the overlap of an earlier rotation stops at once: at most two verify. Throws
   * ERR_BAD_REQUEST for an overlap out of range, ERR_NOT_FOUND for an unknown app; either
   * changes nothing.
   */
  async rotateSecret(appId: string, overlapHours: number): Promise<RotatedSecret> {
    if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > MAX_SECRET_OVERLAP_HOURS) {
      throw new SealPushError('ERR_BAD_REQUEST', `the overlap must be 0 to ${MAX_SECRET_OVERLAP_HOURS} hours`);
    }
    const { store, kms, clock } = this.deps;
    if (!(await store.getApp(appId))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    const secret = newAppSecret();
    const wrapped = await kms.wrap(secret.bytes, appSecretContext(appId));
    const previousNotAfter = clock.now() + Math.round(overlapHours * HOUR_MS);
    if (!(await store.rotateAppSecret(appId, wrapped, previousNotAfter))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    await recordAdminAction({ store, clock }, 'apps.rotate-secret', { app: appId, previousNotAfter: new Date(previousNotAfter).toISOString() });
    return { appId, secret: secret.text, previousNotAfter };
  }

  /**
   * Deletes the app, its clients (crypto-shredded, as `clients forget` does each: their
   * connections close on every node, their ids are never valid again), their messages and
   * receipts, its bearer-token keys and its secrets (AppRegistry.deleteApp). From then on
   * its credentials fail as an unknown app's do and its handshakes are refused. Throws
   * ERR_NOT_FOUND, changing nothing, for an unknown app.
   */
  async delete(appId: string): Promise<DeletedApp> {
    const { store, clock } = this.deps;
    const deleted = await store.deleteApp(appId, clock.now());
    if (!deleted) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    await recordAdminAction({ store, clock }, 'apps.delete', {
      app: appId,
      name: deleted.name,
      clients: deleted.clients,
      messagesDeleted: deleted.messages,
    });
    return deleted;
  }
}
