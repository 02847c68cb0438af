import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RateLimit } from '../../domain/ports/rate-limit.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { Forgetting } from '../../domain/usecases/forget.js';
import type { LiveClients } from '../../domain/usecases/live-clients.js';
import { clientAddress } from '../client-address.js';
import { AddressCounts } from '../address-counts.js';
import { rawHttpError } from '../http/errors.js';
import { catchUpPass } from '../../domain/usecases/catch-up.js';
import { CohortGroup } from './cohort-group.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { errorMessage } from '../../domain/errors.js';

export const WS_PATH = '/v1/ws';
/** How often a node looks for changed delivery settings of the apps it serves, and for forgotten clients. */
const SETTINGS_CHECK_MS = 1000;
/** Longest a connection made with a replaced identity key waits before it is moved (10 min). */
const MOVE_SPREAD_MS = 600_000;

export interface GatewayDeps extends Omit<ConnectionDeps, 'register' | 'unregister'> {
  /** This node's clients: each connection joins once its session opens, and leaves as it closes. */
  readonly live: LiveClients<Connection>;
  /** WebSocket upgrades per client address; past it the upgrade gets 429 and Retry-After. */
  readonly handshakeLimiter?: RateLimit;
  /** Take the client address from X-Forwarded-For (config `trustProxy`; client-address.ts). Default false. */
  readonly trustProxy?: boolean;
  readonly logger: Logger;
  /**
   * Tombstones of forgotten clients, polled on the settings tick; whoever wires it makes its
   * `onForgotten` close the client's live connection. Absent: forgetting is not watched.
   */
  readonly forgetting?: Pick<Forgetting, 'poll' | 'isForgotten'>;
  /**
   * How often every live client here is checked against the store for messages its bus
   * envelope never brought (catch-up.ts). Absent: no such check, for a bus that never drops
   * (LocalBus: one node, offers made in process).
   */
  readonly catchUpIntervalMs?: number;
}

/**
 * Holds this node's WebSocket connections: accepts upgrades on /v1/ws, sends their heartbeats,
 * joins each opened session to the live clients (which keep one per client) and to its
 * cohort group, and closes the connections whose app settings or server identity changed.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Connection>();
  /** When a connection made with a replaced identity key is to move to the current one (decided once). */
  private readonly identityMoveAt = new WeakMap<Connection, number>();
  /**
   * Cohort delivery: the open cohort connections of each app on this node, by app and
   * settings: while an app's settings change, connections opened under the new ones never
   * share envelopes (or a tick) with those still open under the old.
   */
  private readonly cohorts = new Map<string, CohortGroup>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly settingsTimer: NodeJS.Timeout;
  private readonly catchUpTimer: NodeJS.Timeout | undefined;
  /** Connections upgraded whose handshake has not completed (nor closed): maxHandshakesInProgress. */
  private readonly handshaking = new Set<Connection>();
  /** Open connections (upgrades accepted, not yet closed) per client address: maxConnectionsPerIp. */
  private readonly openByAddress: AddressCounts;
  private catchingUp = false;
  private accepting = true;
  private pollingForgotten = false;

  constructor(private readonly deps: GatewayDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.limits.maxClientMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // Every text message is refused as ERR_PROTOCOL (connection.ts): ws's own UTF-8 check would
      // close an invalid one first with 1007, a code outside the catalogue.
      skipUTF8Validation: true,
    });
    this.openByAddress = new AddressCounts(deps.limits.maxConnectionsPerIp);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), deps.limits.heartbeatMs);
    this.heartbeatTimer.unref();
    this.settingsTimer = setInterval(() => {
      void this.applyDeliveryChanges();
      void this.applyForgotten();
      void this.moveToCurrentIdentity();
    }, SETTINGS_CHECK_MS);
    this.settingsTimer.unref();
    if (deps.catchUpIntervalMs !== undefined) {
      deps.logger.info({ catchUpIntervalMs: deps.catchUpIntervalMs }, 'periodic catch-up of live clients on');
      this.catchUpTimer = setInterval(() => void this.catchUp(), deps.catchUpIntervalMs);
      this.catchUpTimer.unref();
    }
  }

  /** WebSocket connections held now, including ones still in their handshake. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(request, socket, head));
  }

  /** Stops accepting, and closes every connection with 1001 (clients reconnect and resume). */
  drain(): void {
    this.accepting = false;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.settingsTimer);
    clearInterval(this.catchUpTimer);
    for (const group of this.cohorts.values()) group.stop();
    this.cohorts.clear();
    for (const connection of [...this.sockets]) connection.goAway();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== WS_PATH || !this.accepting) {
      socket.end(this.accepting ? rawHttpError('ERR_NOT_FOUND') : rawHttpError('ERR_UNAVAILABLE'));
      return;
    }
    const address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], this.deps.trustProxy ?? false);
    if (!this.openByAddress.acquire(address)) {
      // This address holds its maxConnectionsPerIp here: refused before any handshake work.
      this.deps.metrics?.handshake('ERR_TOO_MANY_CONNECTIONS');
      socket.end(rawHttpError('ERR_TOO_MANY_CONNECTIONS', 'This address holds its maximum of open connections', 1));
      return;
    }
    socket.once('close', () => this.openByAddress.release(address));
    // Until the limit answers (a Redis round trip), a socket error must not go unhandled.
    socket.on('error', () => socket.destroy());
    const waitMs = (await this.deps.handshakeLimiter?.take(address)) ?? 0;
    if (socket.destroyed || !this.accepting) return void socket.destroy();
    if (waitMs > 0) {
      // Refused before any handshake work; the SDK retries with backoff.
      this.deps.metrics?.handshake('ERR_RATE_LIMITED');
      socket.end(rawHttpError('ERR_RATE_LIMITED', undefined, Math.ceil(waitMs / 1000)));
      return;
    }
    if (this.handshaking.size >= this.deps.limits.maxHandshakesInProgress) {
      // Busy with handshakes: refused before any work rather than started and timed out.
      this.deps.metrics?.handshake('ERR_UNAVAILABLE');
      socket.end(rawHttpError('ERR_UNAVAILABLE', 'This node has its maximum of handshakes in progress', 1));
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connection = new Connection(ws, {
      ...this.deps,
      register: (c) => this.register(c),
      unregister: (c) => this.unregister(c),
    });
    this.sockets.add(connection);
    this.handshaking.add(connection);
    ws.once('close', () => {
      this.sockets.delete(connection);
      this.handshaking.delete(connection);
    });
    if (this.sockets.size > this.deps.limits.maxConnections) connection.fail('ERR_TOO_MANY_CONNECTIONS');
  }

  private register(connection: Connection): void {
    this.handshaking.delete(connection);
    const { clientId, appId, delivery, deliveryKey } = connection.facts;
    // Its handshake read the client just before another node (or the CLI) forgot it.
    if (this.deps.forgetting?.isForgotten(clientId)) return connection.fail('ERR_CLIENT_FORGOTTEN');
    this.deps.live.attach(connection);
    if (delivery.mode === 'cohort') {
      const key = cohortKey(appId, deliveryKey);
      let group = this.cohorts.get(key);
      if (!group) this.cohorts.set(key, (group = new CohortGroup(appId, delivery, this.deps.logger)));
      group.add(connection);
    }
  }

  private unregister(connection: Connection): void {
    const key = cohortKey(connection.facts.appId, connection.facts.deliveryKey);
    const group = this.cohorts.get(key);
    if (group) {
      group.remove(connection);
      if (group.size === 0) {
        group.stop();
        this.cohorts.delete(key);
      }
    }
    this.deps.live.detach(connection);
  }

  /** One pass at a time: a slow store never stacks passes. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp || this.deps.live.size === 0) return;
    this.catchingUp = true;
    try {
      const streams = Array.from(this.deps.live.connections(), (c) => c.stream);
      await catchUpPass(this.deps.delivery.store, streams, this.deps.logger);
    } finally {
      this.catchingUp = false;
    }
  }

  private heartbeat(): void {
    for (const connection of this.sockets) connection.heartbeat();
  }

  /** Polls the tombstones once at a time; each new one reaches its connection through the Forgetting's listener. */
  private async applyForgotten(): Promise<void> {
    if (!this.deps.forgetting || this.pollingForgotten) return;
    this.pollingForgotten = true;
    try {
      await this.deps.forgetting.poll();
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err) }, 'polling forgotten clients failed; retrying');
    } finally {
      this.pollingForgotten = false;
    }
  }

  /**
   * An app switched between direct and cohort delivery (or changed its cohort settings), or
   * turned receipts on or off: its connections here close with 1001 and resume at once in the
   * new mode (a new handshake is what tells the client whether to sign its ACKs). Settings are
   * read through the app cache, so another process's `apps update` lands within seconds.
   */
  private async applyDeliveryChanges(): Promise<void> {
    const appIds = new Set(Array.from(this.deps.live.connections(), (c) => c.facts.appId));
    for (const appId of appIds) {
      let current;
      let receipts;
      try {
        [current, receipts] = await Promise.all([this.deps.deliveryOf(appId).then((d) => JSON.stringify(d)), this.deps.receiptsOf(appId)]);
      } catch {
        continue; // the store is unreachable: keep serving as configured
      }
      for (const connection of this.deps.live.connections()) {
        const { facts } = connection;
        if (facts.appId !== appId || !connection.isOpen) continue;
        if (facts.deliveryKey !== current || facts.receipts !== receipts) connection.goAway();
      }
    }
  }

  /**
   * After an identity rotation, every connection made with an older key is closed with 1001
   * so that its client reconnects and learns the new key: one the handshake already told,
   * when its key's overlap ends; one made while the old key was current (never told), at a
   * random moment in the first half of the overlap (at most MOVE_SPREAD_MS), so that the
   * clients of a node do not all reconnect at once.
   */
  private async moveToCurrentIdentity(): Promise<void> {
    let ring;
    try {
      ring = await this.deps.identities.ring();
    } catch {
      return; // the store is unreachable: keep serving
    }
    const now = this.deps.delivery.clock.now();
    for (const connection of this.deps.live.connections()) {
      const { identityVersion, identityNotAfter } = connection.facts;
      if (!connection.isOpen || identityVersion === ring.current.version) continue;
      let moveAt = this.identityMoveAt.get(connection);
      if (moveAt === undefined) {
        const own = ring.previous.find((v) => v.version === identityVersion);
        if (!own) moveAt = now;
        else if (identityNotAfter !== null) moveAt = identityNotAfter;
        else moveAt = now + Math.floor(Math.random() * Math.min((own.notAfter! - now) / 2, MOVE_SPREAD_MS));
        this.identityMoveAt.set(connection, moveAt);
      }
      if (moveAt <= now) connection.goAway();
    }
  }
}

function cohortKey(appId: string, deliveryKey: string): string {
  return `${appId}\n${deliveryKey}`;
}
