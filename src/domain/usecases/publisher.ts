import { SealPushError, isSealPushError } from '../errors.js';
import { newMessageId, toBase64Url } from '../ids.js';
import type { MessageLog } from '../ports/message-log.js';
import type { ClientRegistry } from '../ports/client-registry.js';
import type { ClientPayloadCipher } from '../ports/payload-cipher.js';
import type { MessageReceipt, PushApi } from '../ports/push-api.js';
import type { PresenceLookup } from '../ports/presence.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';
import { parseSignedWrapper, signedBytes } from '../message-wrappers.js';
import type { Clock } from '../ports/runtime.js';
import { parsePublishRequest, type PublishLimits, type PublishRequest } from '../publish-request.js';
import { admitRead, rateLimited, type RateLimit } from '../ports/rate-limit.js';
import type { MessageRecord } from '../types.js';
import { isoOrNull, messageView, type ClientView, type ForgottenClientView, type MessageView, type PublishResult } from '../views.js';
import type { ClientCiphers } from './client-ciphers.js';
import type { CommitQueue, PendingPublish } from './commit-queue.js';
import type { Forgetting } from './forget.js';
import { idempotencyConflict, publishFingerprint, sameParameters } from './idempotency.js';
import { payloadAad } from './payload-aad.js';

export interface PublisherDeps {
  readonly store: Pick<MessageLog, 'getMessage' | 'getReceipt' | 'countPending'> & Pick<ClientRegistry, 'getClient'>;
  readonly commits: CommitQueue;
  /** Each recipient's at-rest cipher; a warm client costs no store read. */
  readonly ciphers: ClientCiphers;
  readonly forgetting: Forgetting;
  readonly presence: PresenceLookup;
  readonly clock: Clock;
  readonly limits: PublishLimits;
  /** Messages per second per app (each batch item counts); past it, ERR_RATE_LIMITED. */
  readonly rateLimiter?: RateLimit;
  /** Reads (message status, receipt, client) per second per app; past it, ERR_RATE_LIMITED. */
  readonly readLimit?: RateLimit;
  /**
   * Publisher signatures: when the app registered a key, every message must carry a signed
   * wrapper that verifies for (app, to, id), or it is refused with ERR_MESSAGE_SIGNATURE.
   * Absent: the server checks nothing (clients with `publisherKey` still do).
   */
  readonly signatures?: PublisherSignatures;
  /** Whether the app has receipts on (Apps.receiptsOf): only explains a missing receipt. Absent: on. */
  readonly receiptsOf?: (appId: string) => Promise<boolean>;
}

export interface PublisherSignatures {
  /** The app's registered Ed25519 public key, or null when it has none. */
  signingKeyOf(appId: string): Promise<Uint8Array | null>;
  readonly verifier: SignatureVerifier;
}

/** Defence in depth: the server refuses what a client with `publisherKey` would refuse. */
function checkSignature(item: unknown, binding: { appId: string; clientId: string; messageId: string | undefined }, key: Uint8Array, verifier: SignatureVerifier): void {
  const { messageId } = binding;
  const signed = parseSignedWrapper((item as { data?: unknown }).data);
  if (!signed) throw new SealPushError('ERR_MESSAGE_SIGNATURE', 'This app signs its messages: "data" must be a signed wrapper');
  if (messageId === undefined) throw new SealPushError('ERR_MESSAGE_SIGNATURE', 'A signed message needs its "id": the signature binds it');
  if (!verifier.verifyEd25519(key, signedBytes({ ...binding, messageId }, signed.payload), signed.sig)) {
    throw new SealPushError('ERR_MESSAGE_SIGNATURE', "The signature does not verify with the app's signing key for this client and message id");
  }
}

/** The publish, status and client use cases behind the REST API. */
export class Publisher implements PushApi {
  constructor(private readonly deps: PublisherDeps) {}

  async publish(appId: string, items: readonly unknown[]): Promise<PublishResult[]> {
    const { commits, clock, limits, rateLimiter } = this.deps;
    // The whole request or nothing: a refused batch accepts none of its messages.
    if (rateLimiter && items.length > rateLimiter.burst) {
      throw new SealPushError('ERR_TOO_LARGE', `A batch of ${items.length} messages exceeds this app's limit of ${rateLimiter.burst} per second; split it`);
    }
    const waitMs = (await rateLimiter?.take(appId, Math.max(1, items.length))) ?? 0;
    if (waitMs > 0) throw rateLimited(waitMs, 'This app publishes more messages per second than its limit allows');
    const results: (PublishResult | undefined)[] = new Array(items.length);
    const parsed: { slot: number; request: PublishRequest; item: unknown }[] = [];
    const signatures = this.deps.signatures;
    const signingKey = signatures ? await signatures.signingKeyOf(appId) : null;
    items.forEach((item, slot) => {
      try {
        const request = parsePublishRequest(item, limits);
        if (signingKey) checkSignature(item, { appId, clientId: request.to, messageId: request.id }, signingKey, signatures!.verifier);
        parsed.push({ slot, request, item });
      } catch (err) {
        results[slot] = refusal(err);
      }
    });
    const ciphers = await this.ciphersOf(appId, parsed);
    const pending: PendingPublish[] = [];
    const slots: number[] = [];
    const now = clock.now();
    for (const { slot, request, item } of parsed) {
      const cipher = ciphers.get(request.to);
      if (cipher === undefined) {
        results[slot] = await this.unknownClient(appId, request);
        continue;
      }
      const id = request.id ?? newMessageId(now);
      const payload = cipher.seal(request.data, payloadAad(appId, request.to, id));
      const fingerprint = publishFingerprint(cipher, id, request, item);
      pending.push({
        message: { appId, id, clientId: request.to, payload, createdAt: now, expiresAt: now + request.ttlSeconds * 1000, fingerprint },
        data: request.data,
      });
      slots.push(slot);
    }
    if (pending.length > 0) {
      const outcomes = await commits.publish(pending);
      outcomes.forEach((outcome, i) => {
        const slot = slots[i]!;
        const { id } = pending[i]!.message;
        if (outcome.kind === 'inserted') results[slot] = { id, status: 'queued' };
        else if (outcome.kind === 'duplicate') results[slot] = duplicateResult(outcome.existing, pending[i]!.message);
        else if (outcome.kind === 'client-full') {
          results[slot] = refusal(new SealPushError('ERR_CLIENT_FULL', `Client "${pending[i]!.message.clientId}" holds its maximum of pending messages; nothing was stored`));
        } else results[slot] = refusal(new SealPushError('ERR_NOT_FOUND', `No client "${pending[i]!.message.clientId}" in this app`));
      });
    }
    return results as PublishResult[];
  }

  /**
   * The recipients' ciphers, by client id (undefined: no such client of this app). Only a
   * cache miss reads the store, all misses of the request at once.
   */
  private async ciphersOf(appId: string, parsed: readonly { request: PublishRequest }[]): Promise<Map<string, ClientPayloadCipher | undefined>> {
    const { ciphers } = this.deps;
    const found = new Map<string, ClientPayloadCipher | undefined>();
    const misses: string[] = [];
    for (const { request } of parsed) {
      if (found.has(request.to)) continue;
      const hit = ciphers.cached(appId, request.to);
      found.set(request.to, hit);
      if (hit === undefined) misses.push(request.to);
    }
    if (misses.length > 0) {
      try {
        await Promise.all(misses.map(async (clientId) => found.set(clientId, await ciphers.load(appId, clientId))));
      } catch {
        throw new SealPushError('ERR_UNAVAILABLE', 'The store could not be read; nothing was accepted');
      }
    }
    return found;
  }

  /**
   * A message to no client of this app is refused before anything is sealed; an idempotent
   * retry of a stored message still reads as its duplicate.
   */
  private async unknownClient(appId: string, request: PublishRequest): Promise<PublishResult> {
    const existing = request.id === undefined ? undefined : await this.deps.store.getMessage(appId, request.id);
    if (existing) return duplicateResult(existing, { clientId: request.to, fingerprint: undefined });
    return refusal(new SealPushError('ERR_NOT_FOUND', `No client "${request.to}" in this app`));
  }

  async forgetClient(appId: string, clientId: string): Promise<ForgottenClientView> {
    const report = await this.deps.forgetting.forget(clientId, appId);
    const { clientId: id, messagesDeleted, receiptsDeleted, journalScrubbed } = report;
    return { id, forgotten: true, messagesDeleted, receiptsDeleted, forgottenAt: new Date(report.forgottenAt).toISOString(), journalScrubbed };
  }

  async messageStatus(appId: string, messageId: string): Promise<MessageView> {
    await admitRead(this.deps.readLimit, appId);
    const record = await this.deps.store.getMessage(appId, messageId);
    if (!record) throw new SealPushError('ERR_NOT_FOUND', `No message "${messageId}" in this app`);
    return messageView(record, this.deps.clock.now());
  }

  async messageReceipt(appId: string, messageId: string): Promise<MessageReceipt> {
    await admitRead(this.deps.readLimit, appId);
    return this.receiptOf(appId, messageId);
  }

  /** messageReceipt without the app's read limit: what an acked webhook carries. */
  async receiptOf(appId: string, messageId: string): Promise<MessageReceipt> {
    const { store } = this.deps;
    const message = await store.getMessage(appId, messageId);
    if (!message) throw new SealPushError('ERR_NOT_FOUND', `No message "${messageId}" in this app`);
    const [receipt, client] = await Promise.all([store.getReceipt(appId, messageId), store.getClient(appId, message.clientId)]);
    if (!receipt || !client?.ackKey) {
      // A receipt kept while they were on stays the proof after they are turned off.
      if (this.deps.receiptsOf && !(await this.deps.receiptsOf(appId))) {
        throw new SealPushError('ERR_NO_RECEIPT', `Message "${messageId}" has no signed receipt: receipts are off for this app (sealpush apps update APPID --receipts on)`);
      }
      const why = message.status === 'acked' ? 'was acked without a signature (its client has no ack key, or acked it by resuming)' : `is ${message.status}, not acked`;
      throw new SealPushError('ERR_NO_RECEIPT', `Message "${messageId}" has no signed receipt: it ${why}`);
    }
    return { message, receipt, ackKey: client.ackKey };
  }

  async clientInfo(appId: string, clientId: string): Promise<ClientView> {
    await admitRead(this.deps.readLimit, appId);
    const { store, presence, clock } = this.deps;
    const client = await store.getClient(appId, clientId);
    if (!client) throw new SealPushError('ERR_NOT_FOUND', `No client "${clientId}" in this app`);
    const [online, pending] = await Promise.all([presence.isOnline(client.id), store.countPending(client.id, clock.now())]);
    const hpkeKey = client.hpkeKey ? toBase64Url(client.hpkeKey) : null;
    return { id: client.id, online, lastSeen: isoOrNull(client.lastSeenAt), pending, hpkeKey };
  }
}

/** A publish whose id is stored: its status when the parameters match, else a conflict. */
function duplicateResult(existing: MessageRecord, message: { clientId: string; fingerprint?: Uint8Array | undefined }): PublishResult {
  if (!sameParameters(existing, message.clientId, message.fingerprint)) return refusal(idempotencyConflict(existing.id));
  return { id: existing.id, status: existing.status };
}

function refusal(err: unknown): PublishResult {
  if (isSealPushError(err)) return err.toJSON();
  throw err;
}
