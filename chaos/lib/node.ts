/**
 * One `sealpush serve` process that the fault scenarios kill and start again: always on the
 * same port and data, so that SDK clients and publishers find it again by themselves.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { exited, spawnServer, type ServerProcess } from '../../test/helpers/process.js';
import { freePort } from '../../test/helpers/redis.js';

export class ChaosNode {
  #process: ServerProcess;
  /** Starts that failed and were tried again (the port not yet free, say). */
  failedStarts = 0;

  private constructor(
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly port: number,
    first: ServerProcess,
  ) {
    this.#process = first;
  }

  static async start(dataDir: string, env: Record<string, string>): Promise<ChaosNode> {
    const port = await freePort();
    return new ChaosNode(dataDir, env, port, await spawnServer(dataDir, env, port));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get serverKey(): string {
    return this.#process.serverKey;
  }

  get pid(): number | undefined {
    return this.#process.child.pid;
  }

  /** Whether the current process is still running (it has not exited or crashed). */
  alive(): boolean {
    const child = this.#process.child;
    return child.exitCode === null && child.signalCode === null;
  }

  /** What the current process printed (warnings and errors, at the default log level). */
  output(): string {
    return this.#process.output();
  }

  /** kill -9, and waits until the process is gone. */
  async kill(): Promise<void> {
    this.#process.child.kill('SIGKILL');
    await exited(this.#process.child);
  }

  /** Starts it again on the same port; a start that fails (the port still held) is retried. */
  async restart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.#process = await spawnServer(this.dataDir, this.env, this.port);
        return;
      } catch (err) {
        this.failedStarts++;
        if (attempt >= 20) throw err;
        await pause(100 * attempt);
      }
    }
  }

  /** SIGSTOP: the process holds its sockets and its Redis and store connections, and does nothing. */
  pause(): void {
    this.#process.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    this.#process.child.kill('SIGCONT');
  }

  /** A clean stop (SIGTERM); a paused process is resumed first, so that it can stop. */
  async stop(): Promise<void> {
    const child = this.#process.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
    await exited(child);
  }
}
