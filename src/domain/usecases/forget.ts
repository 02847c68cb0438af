import { SealPushError } from '../errors.js';
import type { ClientRegistry } from '../ports/client-registry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/runtime.js';
import { recordAdminAction } from './audit.js';
import type { ClientCiphers } from './client-ciphers.js';

/** Tombstones read per store query while a node catches up on them. */
const POLL_PAGE = 500;
/**
 * How long a node remembers an id forgotten (here or elsewhere) after it learnt of it. A
 * handshake that read the client just before its row was deleted may register it later,
 * at most a handshake timeout afterwards: it is refused then (see `isForgotten`).
 */
export const RECENTLY_FORGOTTEN_MS = 300_000;

export interface ForgetReport {
  readonly clientId: string;
  readonly appId: string;
  readonly messagesDeleted: number;
  /** Its signed receipts deleted with it (docs/forget.md says why they do not stay). */
  readonly receiptsDeleted: number;
  readonly forgottenAt: number;
  /** False when the store's journal could not be scrubbed at once (docs/forget.md). */
  readonly journalScrubbed: boolean;
}

/**
 * Crypto-shredding of clients (`DELETE /v1/clients/:id`, `sealpush clients forget`): the
 * store destroys the client's key salt and messages in one transaction and records a
 * tombstone; every node that polls the tombstones evicts the client's cached cipher and
 * closes its connection (`onForgotten`), this node at once.
 */
export class Forgetting {
  private cursor = 0;
  /** Ids learnt of recently, oldest first, with when. */
  private readonly recent = new Map<string, number>();
  private listener: (clientId: string) => void = () => {};

  constructor(
    private readonly store: Pick<ClientRegistry, 'forgetClient' | 'forgottenAfter' | 'lastForgottenSeq'> & Pick<AuditLog, 'appendAudit'>,
    private readonly clock: Clock,
    private readonly ciphers?: ClientCiphers,
  ) {}

  /** Called with each forgotten client's id (its live connection is closed). */
  onForgotten(listener: (clientId: string) => void): void {
    this.listener = listener;
  }

  /** A node starts polling after the tombstones that exist: those clients are gone already. */
  async start(): Promise<void> {
    this.cursor = await this.store.lastForgottenSeq();
  }

  /**
   * Forgets a client; `appId` given (a publisher's request): only a client of that app.
   * Throws ERR_NOT_FOUND, changing nothing, for an unknown id or another app's client.
   */
  async forget(clientId: string, appId?: string): Promise<ForgetReport> {
    const result = await this.store.forgetClient(clientId, appId, this.clock.now());
    if (!result) throw new SealPushError('ERR_NOT_FOUND', `No client "${clientId}"${appId === undefined ? '' : ' in this app'}`);
    this.learn(clientId);
    const { tombstone } = result;
    // By the app (DELETE /v1/clients/:id) or by the operator (sealpush clients forget).
    await recordAdminAction({ store: this.store, clock: this.clock }, 'clients.forget', {
      client: clientId,
      app: tombstone.appId,
      by: appId === undefined ? 'operator' : 'app',
      messagesDeleted: result.messages,
    });
    return {
      clientId,
      appId: tombstone.appId,
      messagesDeleted: result.messages,
      receiptsDeleted: result.receipts,
      forgottenAt: tombstone.forgottenAt,
      journalScrubbed: result.journalScrubbed,
    };
  }

  /** Reads the tombstones written since the last poll (by any process) and acts on each. */
  async poll(): Promise<void> {
    for (;;) {
      const page = await this.store.forgottenAfter(this.cursor, POLL_PAGE);
      for (const tombstone of page) {
        this.cursor = Math.max(this.cursor, tombstone.seq);
        this.learn(tombstone.clientId);
      }
      if (page.length < POLL_PAGE) return;
    }
  }

  /** Whether this node learnt recently that `clientId` was forgotten. */
  isForgotten(clientId: string): boolean {
    return this.recent.has(clientId);
  }

  private learn(clientId: string): void {
    const now = this.clock.now();
    for (const [id, at] of this.recent) {
      if (now - at < RECENTLY_FORGOTTEN_MS) break;
      this.recent.delete(id);
    }
    this.recent.delete(clientId);
    this.recent.set(clientId, now);
    this.ciphers?.evict(clientId);
    this.listener(clientId);
  }
}
