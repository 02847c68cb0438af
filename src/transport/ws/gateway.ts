import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bus } from '../../domain/ports/bus.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { DeliverableMessage } from '../../domain/types.js';
import { Connection, type ConnectionDeps } from './connection.js';

export const WS_PATH = '/v1/ws';

export interface GatewayDeps extends Omit<ConnectionDeps, 'register' | 'unregister'> {
  readonly bus: Bus;
  readonly nodeId: string;
  readonly logger: Logger;
}

/**
 * Holds this node's client connections: accepts upgrades on /v1/ws, keeps one connection
 * per client (a newer one replaces the older, which is closed with ERR_SESSION_REPLACED),
 * records presence on the bus, and hands live messages to the connection that holds
 * their client.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Connection>();
  private readonly byClient = new Map<string, Connection>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private accepting = true;

  constructor(private readonly deps: GatewayDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.limits.maxClientMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeatTimer = setInterval(() => this.heartbeat(), deps.limits.heartbeatMs);
    this.heartbeatTimer.unref();
    deps.bus.subscribe(deps.nodeId, (envelope) => this.offer(envelope.clientId, envelope.messages));
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Live delivery on this node; false when the client is not connected here. */
  offer(clientId: string, messages: readonly DeliverableMessage[]): boolean {
    const connection = this.byClient.get(clientId);
    if (!connection) return false;
    connection.offer(messages);
    return true;
  }

  isOnline(clientId: string): boolean {
    return this.byClient.has(clientId);
  }

  /** Stops accepting, and closes every connection with 1001 (clients reconnect and resume). */
  drain(): void {
    this.accepting = false;
    clearInterval(this.heartbeatTimer);
    for (const connection of [...this.sockets]) connection.goAway();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== WS_PATH || !this.accepting) {
      socket.end(`HTTP/1.1 ${this.accepting ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connection = new Connection(ws, {
      ...this.deps,
      register: (c) => this.register(c),
      unregister: (c) => this.unregister(c),
    });
    this.sockets.add(connection);
    ws.once('close', () => this.sockets.delete(connection));
    if (this.sockets.size > this.deps.limits.maxConnections) connection.fail('ERR_TOO_MANY_CONNECTIONS');
  }

  private register(connection: Connection): void {
    const previous = this.byClient.get(connection.clientId);
    this.byClient.set(connection.clientId, connection);
    if (previous && previous !== connection) previous.fail('ERR_SESSION_REPLACED');
    this.deps.bus.setPresence(connection.clientId, this.deps.nodeId).catch((err: unknown) => {
      this.deps.logger.warn({ err: String(err), clientId: connection.clientId }, 'presence update failed');
    });
  }

  private unregister(connection: Connection): void {
    if (this.byClient.get(connection.clientId) !== connection) return;
    this.byClient.delete(connection.clientId);
    this.deps.bus.clearPresence(connection.clientId, this.deps.nodeId).catch((err: unknown) => {
      this.deps.logger.warn({ err: String(err), clientId: connection.clientId }, 'presence update failed');
    });
  }

  private heartbeat(): void {
    for (const connection of this.sockets) connection.heartbeat();
  }
}
