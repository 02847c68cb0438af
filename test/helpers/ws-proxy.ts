import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

/** What a hook does with one WebSocket message: pass it (maybe changed), drop it, or send several. */
export type Hook = (data: Buffer, index: number) => Buffer | Buffer[] | null;

export interface ProxyHooks {
  /** Client -> server messages; index 0 is the hello. */
  toServer?: Hook;
  /** Server -> client messages; index 0 is the handshake reply. */
  toClient?: Hook;
}

/**
 * A man in the middle on the WebSocket path: it relays binary messages between a client and
 * the real server and lets a test alter, drop, replay or reorder them. Only the first
 * connection through it is hooked; later ones (reconnects) are relayed untouched.
 */
export class WsProxy {
  readonly closes: number[] = [];
  private connections = 0;

  /** Connections relayed so far, the hooked first one included. */
  get connectionCount(): number {
    return this.connections;
  }
  private readonly wss: WebSocketServer;

  private constructor(
    private readonly upstream: string,
    private readonly hooks: ProxyHooks,
    readyWss: WebSocketServer,
  ) {
    this.wss = readyWss;
    this.wss.on('connection', (client) => this.relay(client));
  }

  static async start(upstreamHttpUrl: string, hooks: ProxyHooks): Promise<WsProxy> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new WsProxy(`${upstreamHttpUrl.replace(/^http/, 'ws')}/v1/ws`, hooks, wss);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** Close codes the server sent through the proxy, in order. */
  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  /**
   * Closes every client-side socket with `code` and `reason`, as a proxy forging the server's
   * close would; the server side then closes as a client going away would.
   */
  forgeClose(code: number, reason: string): void {
    for (const client of this.wss.clients) client.close(code, reason);
  }

  private relay(client: WebSocket): void {
    const hooked = this.connections++ === 0;
    const server = new WebSocket(this.upstream);
    const early: Buffer[] = [];
    let up = 0;
    let down = 0;
    const forward = (to: WebSocket, data: Buffer, hook: Hook | undefined, index: number): void => {
      const out = hooked && hook ? hook(data, index) : data;
      if (out === null) return;
      for (const chunk of Array.isArray(out) ? out : [out]) to.send(chunk);
    };
    client.on('message', (data: RawData) => {
      const buf = data as Buffer;
      if (server.readyState !== WebSocket.OPEN) early.push(buf);
      else forward(server, buf, this.hooks.toServer, up++);
    });
    server.on('open', () => {
      for (const buf of early.splice(0)) forward(server, buf, this.hooks.toServer, up++);
    });
    server.on('message', (data: RawData) => forward(client, data as Buffer, this.hooks.toClient, down++));
    server.on('close', (code, reason) => {
      this.closes.push(code);
      if (client.readyState !== WebSocket.OPEN) return;
      if (code === 1005 || code === 1006) client.close();
      else client.close(code, reason.toString());
    });
    client.on('close', () => server.close());
    server.on('error', () => client.terminate());
    client.on('error', () => server.terminate());
  }
}
