import type { ErrorCode } from '../errors.js';
import type { Bus } from '../ports/bus.js';
import type { Logger } from '../ports/runtime.js';
import type { DeliverableMessage, DeliverySettings } from '../types.js';
import type { DeliveryStream } from './delivery-stream.js';

/** What a session's handshake settled: fixed for the life of its connection. */
export interface SessionFacts {
  readonly clientId: string;
  readonly appId: string;
  /** The app's delivery settings at the handshake; a change closes the connection. */
  readonly delivery: DeliverySettings;
  /** `delivery` as JSON, computed once: what the settings recheck compares and cohorts group by. */
  readonly deliveryKey: string;
  /** Whether the client signs its ACKs (the app's receipts setting at the handshake); a change closes the connection. */
  readonly receipts: boolean;
  /** The server identity version the handshake used. */
  readonly identityVersion: number;
  /**
   * Set when the client reached us with an identity key a rotation replaced: when that key
   * stops being accepted, and so when the connection must move to the current one.
   */
  readonly identityNotAfter: number | null;
  /** The session's cohort secret (docs/protocol.md section 7). */
  readonly sessionSecret: Uint8Array;
}

/** A connected client's end of its session, as the registry holds it (the transport's connection). */
export interface LiveConnection {
  readonly facts: SessionFacts;
  /** The client's delivery, which writes to this connection: live offers go straight to it. */
  readonly stream: Pick<DeliveryStream, 'offer'>;
  /** Closes the connection with the catalogue's close code. */
  fail(code: ErrorCode): void;
}

/**
 * The clients connected to this node, one connection each: what live delivery offers to and
 * what presence answers from. A newer connection of a client supersedes the older, which is
 * closed with ERR_SESSION_REPLACED. The bus learns where each client is (best effort: a
 * failed presence update is logged, and the client's messages wait in the store).
 */
export class LiveClients<C extends LiveConnection = LiveConnection> {
  private readonly byClient = new Map<string, C>();
  /** How many of `byClient` belong to each app (kept with it, so reading it is cheap). */
  private readonly byApp = new Map<string, number>();

  constructor(private readonly deps: { readonly bus: Bus; readonly nodeId: string; readonly logger: Logger }) {}

  get size(): number {
    return this.byClient.size;
  }

  /** Makes `connection` its client's current one, closing any older one. */
  attach(connection: C): void {
    const { clientId, appId } = connection.facts;
    const previous = this.byClient.get(clientId);
    this.byClient.set(clientId, connection);
    if (previous === undefined) this.byApp.set(appId, this.appCount(appId) + 1);
    if (previous && previous !== connection) previous.fail('ERR_SESSION_REPLACED');
    this.deps.bus.setPresence(clientId, this.deps.nodeId).catch((err: unknown) => this.presenceFailed(err, clientId));
  }

  /** Forgets `connection`, unless a newer one of its client superseded it meanwhile. */
  detach(connection: C): void {
    const { clientId, appId } = connection.facts;
    if (this.byClient.get(clientId) !== connection) return;
    this.byClient.delete(clientId);
    const left = this.appCount(appId) - 1;
    if (left > 0) this.byApp.set(appId, left);
    else this.byApp.delete(appId);
    this.deps.bus.clearPresence(clientId, this.deps.nodeId).catch((err: unknown) => this.presenceFailed(err, clientId));
  }

  /** Hands newly committed messages (in seq order) to the client's stream; false if it is not connected here. */
  offer(clientId: string, messages: readonly DeliverableMessage[]): boolean {
    const connection = this.byClient.get(clientId);
    if (connection === undefined) return false;
    connection.stream.offer(messages);
    return true;
  }

  isOnline(clientId: string): boolean {
    return this.byClient.has(clientId);
  }

  /** The client's current connection here, if any. */
  get(clientId: string): C | undefined {
    return this.byClient.get(clientId);
  }

  /** Connected clients of one app. */
  appCount(appId: string): number {
    return this.byApp.get(appId) ?? 0;
  }

  /** Connected clients per app that has any. */
  appCounts(): Record<string, number> {
    return Object.fromEntries(this.byApp);
  }

  /** Every current connection, in the order their clients attached. */
  connections(): IterableIterator<C> {
    return this.byClient.values();
  }

  private presenceFailed(err: unknown, clientId: string): void {
    this.deps.logger.warn({ err: String(err), clientId }, 'presence update failed');
  }
}
