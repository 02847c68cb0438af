import { SealPushError } from '../errors.js';
import { newAppId, newAppSecret } from '../ids.js';
import type { Kms } from '../ports/kms.js';
import type { AppRegistry } from '../ports/app-registry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { AppSecrets } from '../ports/push-api.js';
import type { Clock } from '../ports/runtime.js';
import { DEFAULT_COHORT, DIRECT_DELIVERY, cohortDelivery } from '../delivery-settings.js';
import type { App, CohortSettings, DeliverySettings, JwtAlgorithm, StoredApp } from '../types.js';
import { ED25519_KEY_BYTES } from '../message-wrappers.js';
import { hex } from '../audit.js';
import { bytesEqual } from '../bytes.js';
import { recordAdminAction } from './audit.js';

export interface CreatedApp {
  readonly appId: string;
  readonly name: string;
  /** Shown once: only its wrapped form is stored. */
  readonly secret: string;
}

/** What `apps update` may change; absent fields stay as they are. */
export interface AppChanges {
  /** "direct" or "cohort". */
  readonly delivery?: string | undefined;
  /** Cohort options (with `delivery: "cohort"` only). */
  readonly cohort?: Partial<Record<keyof CohortSettings, unknown>>;
  /** Signed ACKs on (true) or off (false). */
  readonly receipts?: unknown;
}

/** An app's settings after an update. */
export interface AppSettings {
  readonly delivery: DeliverySettings;
  readonly receipts: boolean;
}

/** How long a running server may use an app's delivery settings before reading them again. */
export const DELIVERY_CACHE_MS = 1000;

const JWT_KID = /^[A-Za-z0-9._:-]{1,128}$/;
const utf8 = new TextEncoder();

/** The KMS context of an HS256 bearer-token secret. */
export function jwtSecretContext(issuer: string, kid: string): string {
  return `jwt-secret:${issuer}:${kid}`;
}

/** A public JWK of the algorithm's curve, with nothing private in it. */
function checkPublicJwk(alg: 'EdDSA' | 'ES256', jwk: unknown): Record<string, string> {
  const bad = (): SealPushError => new SealPushError('ERR_BAD_REQUEST', `the key must be a public ${alg === 'EdDSA' ? 'Ed25519' : 'P-256'} JWK`);
  if (typeof jwk !== 'object' || jwk === null) throw bad();
  const k = jwk as Record<string, unknown>;
  if ('d' in k) throw new SealPushError('ERR_BAD_REQUEST', 'that is a private key: register the public half only');
  const field = (name: string): string => {
    const value = k[name];
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{20,}$/.test(value)) throw bad();
    return value;
  };
  if (alg === 'EdDSA') {
    if (k.kty !== 'OKP' || k.crv !== 'Ed25519') throw bad();
    return { kty: 'OKP', crv: 'Ed25519', x: field('x') };
  }
  if (k.kty !== 'EC' || k.crv !== 'P-256') throw bad();
  return { kty: 'EC', crv: 'P-256', x: field('x'), y: field('y') };
}

const APP_NAME = /^[\p{L}\p{N} ._-]{1,64}$/u;

/** The KMS context of an app's secret. */
export function appSecretContext(appId: string): string {
  return `app-secret:${appId}`;
}

/** Publisher accounts: creation, listing, and the secrets that verify their requests. */
export class Apps implements AppSecrets {
  /**
   * Unwrapped secrets, in memory only, by the wrapped blob they came from: a secret rotated or
   * an app deleted in another process reaches this one with the app's next read (recentApp).
   */
  private readonly secrets = new Map<string, { readonly wrapped: Uint8Array; readonly secret: Uint8Array }>();
  /** Apps as read from the store, for what running servers may use for DELIVERY_CACHE_MS. */
  private readonly recent = new Map<string, { app: StoredApp | undefined; at: number }>();
  private get audit(): { store: Pick<AuditLog, 'appendAudit'>; clock: Clock } {
    return { store: this.store, clock: this.clock };
  }

  constructor(
    private readonly store: AppRegistry & Pick<AuditLog, 'appendAudit'>,
    private readonly kms: Kms,
    private readonly clock: Clock,
  ) {}

  async create(name: string): Promise<CreatedApp> {
    if (!APP_NAME.test(name)) {
      throw new SealPushError('ERR_BAD_REQUEST', 'An app name is 1 to 64 letters, digits, spaces, dots, dashes or underscores');
    }
    const appId = newAppId();
    const secret = newAppSecret();
    const wrappedSecret = await this.kms.wrap(secret.bytes, appSecretContext(appId));
    await this.store.createApp({ id: appId, name, wrappedSecret, createdAt: this.clock.now(), delivery: DIRECT_DELIVERY });
    await recordAdminAction(this.audit, 'apps.create', { app: appId, name });
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
    return (await this.update(appId, { delivery: mode, cohort: options })).delivery;
  }

  /**
   * `sealpush apps update`: the app's delivery (as updateDelivery) and/or its receipts (signed
   * ACKs, docs/receipts.md: a boolean), given together or alone. Everything is checked before
   * anything is written, so a refused update (ERR_BAD_REQUEST naming the option, ERR_NOT_FOUND
   * for an unknown app) changes nothing. One admin audit record names what changed. Running
   * servers apply it within DELIVERY_CACHE_MS.
   */
  async update(appId: string, changes: AppChanges): Promise<AppSettings> {
    const app = await this.store.getApp(appId);
    if (!app) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    const cohortOptions = Object.entries(changes.cohort ?? {}).filter(([, value]) => value !== undefined).map(([name]) => name);
    if (changes.delivery === undefined && changes.receipts === undefined) {
      throw new SealPushError('ERR_BAD_REQUEST', 'give the delivery, the receipts setting, or both');
    }
    let delivery: DeliverySettings | undefined;
    if (changes.delivery === 'direct') {
      if (cohortOptions.length > 0) throw new SealPushError('ERR_BAD_REQUEST', `${cohortOptions.join(', ')}: options of cohort delivery, not of direct`);
      delivery = DIRECT_DELIVERY;
    } else if (changes.delivery === 'cohort') {
      delivery = cohortDelivery(changes.cohort ?? {}, app.delivery.mode === 'cohort' ? app.delivery : DEFAULT_COHORT);
    } else if (changes.delivery !== undefined) {
      throw new SealPushError('ERR_BAD_REQUEST', 'delivery must be "direct" or "cohort"');
    } else if (cohortOptions.length > 0) {
      throw new SealPushError('ERR_BAD_REQUEST', `${cohortOptions.join(', ')}: options of cohort delivery: give the delivery "cohort" with them`);
    }
    if (changes.receipts !== undefined && typeof changes.receipts !== 'boolean') {
      throw new SealPushError('ERR_BAD_REQUEST', 'receipts must be on or off (true or false)');
    }
    const receipts = changes.receipts;
    if (delivery !== undefined && !(await this.store.updateAppDelivery(appId, delivery))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    if (receipts !== undefined && !(await this.store.setAppReceipts(appId, receipts))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    this.recent.delete(appId);
    await recordAdminAction(this.audit, 'apps.update', {
      app: appId,
      ...(delivery === undefined ? {} : { delivery: JSON.stringify(delivery) }),
      ...(receipts === undefined ? {} : { receipts }),
    });
    return { delivery: delivery ?? app.delivery, receipts: receipts ?? app.receipts === true };
  }

  /**
   * Every handshake asks: read at most once per DELIVERY_CACHE_MS, so an `apps delete` from
   * another process refuses the app's handshakes within that time.
   */
  async exists(appId: string): Promise<boolean> {
    return (await this.recentApp(appId)) !== undefined;
  }

  /**
   * The app's delivery settings as the gateway uses them: read from the store at most once
   * per `DELIVERY_CACHE_MS`, so every handshake can ask and an `apps update` from another
   * process reaches running servers within that time.
   */
  async deliveryOf(appId: string): Promise<DeliverySettings> {
    return (await this.recentApp(appId))?.delivery ?? DIRECT_DELIVERY;
  }

  /** Whether the app's clients sign their ACKs (docs/receipts.md), as handshakes and receipt lookups use it: read at most once per DELIVERY_CACHE_MS. */
  async receiptsOf(appId: string): Promise<boolean> {
    return (await this.recentApp(appId))?.receipts === true;
  }

  /** The app as stored, read at most once per DELIVERY_CACHE_MS. */
  private async recentApp(appId: string): Promise<StoredApp | undefined> {
    const now = this.clock.now();
    const cached = this.recent.get(appId);
    if (cached && now - cached.at < DELIVERY_CACHE_MS) return cached.app;
    const app = await this.store.getApp(appId);
    this.recent.set(appId, { app, at: now });
    return app;
  }

  /**
   * Registers (32 raw bytes) or removes (null) the app's Ed25519 publisher-signature key. From
   * then on the server refuses any message of the app not signed by it (ERR_MESSAGE_SIGNATURE),
   * within DELIVERY_CACHE_MS on running servers. Throws ERR_BAD_REQUEST for a key that is not
   * 32 bytes, ERR_NOT_FOUND for an unknown app; a refused key changes nothing.
   */
  async setSigningKey(appId: string, key: Uint8Array | null): Promise<void> {
    if (key !== null && key.length !== ED25519_KEY_BYTES) {
      throw new SealPushError('ERR_BAD_REQUEST', `an Ed25519 public key is ${ED25519_KEY_BYTES} bytes`);
    }
    if (!(await this.store.setAppSigningKey(appId, key))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    this.recent.delete(appId);
    // The key is public: the record shows it whole, which is what an auditor checks.
    await recordAdminAction(this.audit, 'apps.signing-key', { app: appId, publicKey: key === null ? null : hex(key) });
  }

  /** The app's signing key as publish checks it: read at most once per DELIVERY_CACHE_MS. */
  async signingKeyOf(appId: string): Promise<Uint8Array | null> {
    return (await this.recentApp(appId))?.signingKey ?? null;
  }

  /**
   * Registers a key for the app's bearer tokens (`Authorization: Bearer <JWT>`), found by
   * issuer AND key id. EdDSA and ES256 take the public JWK; HS256 gets a fresh 32-byte secret,
   * returned once (base64url) and stored wrapped. Throws ERR_BAD_REQUEST naming what is wrong,
   * ERR_NOT_FOUND for an unknown app; a refused key changes nothing.
   */
  async addJwtKey(appId: string, input: { issuer: string; kid: string; alg: string; publicJwk?: unknown }): Promise<{ secret?: string }> {
    if (!(await this.store.getApp(appId))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
    const { issuer, kid, alg } = input;
    if (typeof issuer !== 'string' || issuer.length < 1 || issuer.length > 255) throw new SealPushError('ERR_BAD_REQUEST', 'issuer must be 1 to 255 characters');
    if (typeof kid !== 'string' || !JWT_KID.test(kid)) throw new SealPushError('ERR_BAD_REQUEST', 'kid must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
    let keyMaterial: Uint8Array;
    let secret: string | undefined;
    if (alg === 'HS256') {
      if (input.publicJwk !== undefined) throw new SealPushError('ERR_BAD_REQUEST', 'HS256 takes no public key: a secret is generated');
      const generated = newAppSecret();
      keyMaterial = await this.kms.wrap(generated.bytes, jwtSecretContext(issuer, kid));
      secret = generated.text;
    } else if (alg === 'EdDSA' || alg === 'ES256') {
      keyMaterial = utf8.encode(JSON.stringify(checkPublicJwk(alg, input.publicJwk)));
    } else {
      throw new SealPushError('ERR_BAD_REQUEST', 'alg must be EdDSA, ES256 or HS256');
    }
    const added = await this.store.addJwtKey({ issuer, kid, appId, alg, keyMaterial, createdAt: this.clock.now() });
    if (!added) throw new SealPushError('ERR_BAD_REQUEST', `issuer "${issuer}" already has a key "${kid}"`);
    // The key's identity only: never its material (an HS256 secret is wrapped, but still).
    await recordAdminAction(this.audit, 'apps.jwt-key', { app: appId, issuer, kid, alg });
    return secret === undefined ? {} : { secret };
  }

  /** The key of a bearer token's issuer and kid, ready to verify with; undefined if none. */
  async jwtKeyFor(issuer: string, kid: string): Promise<{ appId: string; alg: JwtAlgorithm; publicJwk?: Record<string, string>; secret?: Uint8Array } | undefined> {
    const stored = await this.store.findJwtKey(issuer, kid);
    if (!stored) return undefined;
    if (stored.alg === 'HS256') {
      return { appId: stored.appId, alg: stored.alg, secret: await this.kms.unwrap(stored.keyMaterial, jwtSecretContext(issuer, kid)) };
    }
    return { appId: stored.appId, alg: stored.alg, publicJwk: JSON.parse(new TextDecoder().decode(stored.keyMaterial)) as Record<string, string> };
  }

  /**
   * The secrets a request of the app may be signed with: the current one, then the one
   * `apps rotate-secret` replaced while its overlap lasts (docs/api.md, "Rotating an app
   * secret"); none for an unknown app. Read at most once per DELIVERY_CACHE_MS, so a rotation
   * or deletion in another process reaches every node within that time; a blob is unwrapped
   * once and kept while it stays the app's.
   */
  async secretsFor(appId: string): Promise<Uint8Array[]> {
    const app = await this.recentApp(appId);
    if (!app) {
      this.secrets.delete(appId);
      this.secrets.delete(`${appId}:previous`);
      return [];
    }
    const secrets = [await this.unwrapped(appId, app.wrappedSecret)];
    const { previousWrappedSecret: previous, previousSecretNotAfter: notAfter } = app;
    if (previous && notAfter != null && this.clock.now() < notAfter) secrets.push(await this.unwrapped(`${appId}:previous`, previous, appId));
    return secrets;
  }

  /** `wrapped` unwrapped, from memory while the cache slot `slot` still holds that blob. */
  private async unwrapped(slot: string, wrapped: Uint8Array, appId = slot): Promise<Uint8Array> {
    const cached = this.secrets.get(slot);
    if (cached && bytesEqual(cached.wrapped, wrapped)) return cached.secret;
    const secret = await this.kms.unwrap(wrapped, appSecretContext(appId));
    this.secrets.set(slot, { wrapped, secret });
    return secret;
  }
}
