import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './redis.js';

type Mode = 'open' | 'hung' | 'blackhole' | 'cut' | 'reset';

/**
 * A TCP proxy in front of a real server (MySQL in the outage tests), to make outages without
 * touching the server itself: `cut()` closes every connection and refuses new ones, `hang()`
 * keeps connections open but forwards nothing (a server that stopped answering), `restore()`
 * forwards again, `loseAnswers(n)` closes the connection of each of the next n answers as it
 * starts (the request was served, but the caller never hears), `blackhole()` keeps connections
 * open and reads both ways but drops every byte for good (a peer that vanished behind a NAT or
 * a dead link: no FIN, no RST, nothing), `reset()` drops every connection with a TCP RST and
 * resets each new one as it comes, until `restore()`. It listens on one port (127.0.0.1) throughout.
 */
export class TcpProxy {
  #server: Server | null = null;
  #mode: Mode = 'open';
  #answersToLose = 0;
  readonly #pairs = new Set<Pair>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.#listen();
    return proxy;
  }

  /** Connections through the proxy now open. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every connection and stops listening: connecting is refused until restore(). */
  async cut(): Promise<void> {
    this.#mode = 'cut';
    for (const pair of this.#pairs) pair.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resets every connection (TCP RST) and each new one, until restore(). */
  reset(): void {
    this.#mode = 'reset';
    for (const pair of this.#pairs) pair.reset();
  }

  /** Accepts and keeps connections, but forwards nothing either way (held until restore()). */
  hang(): void {
    this.#mode = 'hung';
  }

  /**
   * Keeps every connection open, and accepts new ones, but drops whatever either side sends
   * (never delivered, not even after restore()): both ends see a silent, healthy-looking link.
   */
  blackhole(): void {
    this.#mode = 'blackhole';
  }

  /**
   * The next `count` answers from upstream, on any connection, are not forwarded: their
   * connection is closed both ways as the first byte arrives, so the client receives nothing.
   */
  loseAnswers(count: number): void {
    this.#answersToLose = count;
  }

  /** Forwards again (what a hang held is let through); listens again after a cut. */
  async restore(): Promise<void> {
    this.#mode = 'open';
    for (const pair of this.#pairs) pair.flush();
    if (this.#server === null) await this.#listen();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  #listen(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Whether the answer starting now is one to lose (and counts it). */
  #takeLostAnswer(): boolean {
    if (this.#answersToLose === 0) return false;
    this.#answersToLose -= 1;
    return true;
  }

  #accept(client: Socket): void {
    if (this.#mode === 'cut') return void client.destroy();
    if (this.#mode === 'reset') return void client.resetAndDestroy();
    const pair = new Pair(client, connect(this.target.port, this.target.host), () => this.#mode, () => this.#takeLostAnswer());
    this.#pairs.add(pair);
    pair.onClose(() => this.#pairs.delete(pair));
  }
}

/** One proxied connection: bytes go across while the mode is open, are held while hung, dropped in a blackhole. */
class Pair {
  readonly #held: { to: Socket; chunk: Buffer }[] = [];

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly mode: () => Mode,
    loseAnswer: () => boolean = () => false,
  ) {
    client.on('data', (chunk: Buffer) => this.#forward(upstream, chunk));
    upstream.on('data', (chunk: Buffer) => (loseAnswer() ? this.destroy() : this.#forward(client, chunk)));
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.destroy());
      socket.on('close', () => this.destroy());
    }
  }

  onClose(fn: () => void): void {
    this.client.once('close', fn);
  }

  flush(): void {
    for (const { to, chunk } of this.#held.splice(0)) to.write(chunk);
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  reset(): void {
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }

  #forward(to: Socket, chunk: Buffer): void {
    const mode = this.mode();
    if (mode === 'open') to.write(chunk);
    else if (mode === 'hung') this.#held.push({ to, chunk });
  }
}
