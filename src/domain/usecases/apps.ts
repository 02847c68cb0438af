import { SealPushError } from '../errors.js';
import { newAppId, newAppSecret } from '../ids.js';
import type { Kms } from '../ports/kms.js';
import type { MessageStore } from '../ports/message-store.js';
import type { AppSecrets } from '../ports/push-api.js';
import type { Clock } from '../ports/runtime.js';
import { DEFAULT_COHORT, DIRECT_DELIVERY, cohortDelivery } from '../delivery-settings.js';
import type { App, CohortSettings, DeliverySettings } from '../types.js';

export interface CreatedApp {
  readonly appId: string;
  readonly name: string;
  /** Shown once: only its wrapped form is stored. */
  readonly secret: string;
}

/** How long a running server may use an app's delivery settings before reading them again. */
export const DELIVERY_CACHE_MS = 1000;

const APP_NAME = /^[\p{L}\p{N} ._-]{1,64}$/u;

function secretContext(appId: string): string {
  return `app-secret:${appId}`;
}

/** Publisher accounts: creation, listing, and the secrets that verify their requests. */
export class Apps implements AppSecrets {
  /** Unwrapped secrets, in memory only. Secrets never change, so entries never go stale. */
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly known = new Set<string>();
  private readonly deliveries = new Map<string, { settings: DeliverySettings; at: number }>();

  constructor(
    private readonly store: MessageStore,
    private readonly kms: Kms,
    private readonly clock: Clock,
  ) {}

  async create(name: string): Promise<CreatedApp> {
    if (!APP_NAME.test(name)) {
      throw new SealPushError('ERR_BAD_REQUEST', 'An app name is 1 to 64 letters, digits, spaces, dots, dashes or underscores');
    }
    const appId = newAppId();
    const secret = newAppSecret();
    const wrappedSecret = await this.kms.wrap(secret.bytes, secretContext(appId));
    await this.store.createApp({ id: appId, name, wrappedSecret, createdAt: this.clock.now(), delivery: DIRECT_DELIVERY });
    return { appId, name, secret: secret.text };
  }

  list(): Promise<App[]> {
    return this.store.listApps();
  }

  /**
   * Switches an app between direct and cohort delivery. `cohort` options not given keep the
   * app's current cohort settings, or take the defaults; `direct` takes no options. Throws
   * ERR_BAD_REQUEST naming a bad option, ERR_NOT_FOUND for an unknown app; a refused update
   * changes nothing.
   */
  async updateDelivery(appId: string, mode: string, options: Partial<Record<keyof CohortSettings, unknown>> = {}): Promise<DeliverySettings> {
    const app = await this.store.getApp(appId);
    if (!app) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    let delivery: DeliverySettings;
    if (mode === 'direct') {
      const given = Object.entries(options).filter(([, value]) => value !== undefined).map(([name]) => name);
      if (given.length > 0) throw new SealPushError('ERR_BAD_REQUEST', `${given.join(', ')}: options of cohort delivery, not of direct`);
      delivery = DIRECT_DELIVERY;
    } else if (mode === 'cohort') {
      delivery = cohortDelivery(options, app.delivery.mode === 'cohort' ? app.delivery : DEFAULT_COHORT);
    } else {
      throw new SealPushError('ERR_BAD_REQUEST', 'delivery must be "direct" or "cohort"');
    }
    if (!(await this.store.updateAppDelivery(appId, delivery))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    this.deliveries.delete(appId);
    return delivery;
  }

  /** Apps are never deleted, so a positive answer is remembered; every handshake asks. */
  async exists(appId: string): Promise<boolean> {
    if (this.known.has(appId) || this.secrets.has(appId)) return true;
    const found = (await this.store.getApp(appId)) !== undefined;
    if (found) this.known.add(appId);
    return found;
  }

  /**
   * The app's delivery settings as the gateway uses them: read from the store at most once
   * per `DELIVERY_CACHE_MS`, so every handshake can ask and an `apps update` from another
   * process reaches running servers within that time.
   */
  async deliveryOf(appId: string): Promise<DeliverySettings> {
    const now = this.clock.now();
    const cached = this.deliveries.get(appId);
    if (cached && now - cached.at < DELIVERY_CACHE_MS) return cached.settings;
    const settings = (await this.store.getApp(appId))?.delivery ?? DIRECT_DELIVERY;
    this.deliveries.set(appId, { settings, at: now });
    return settings;
  }

  async secretFor(appId: string): Promise<Uint8Array | undefined> {
    const cached = this.secrets.get(appId);
    if (cached) return cached;
    const app = await this.store.getApp(appId);
    if (!app) return undefined;
    const secret = await this.kms.unwrap(app.wrappedSecret, secretContext(appId));
    this.secrets.set(appId, secret);
    return secret;
  }
}
