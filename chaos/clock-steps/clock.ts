/**
 * The clock of a `sealpush serve` process, stepped while it runs: the process is started with
 * `clockFollowing(file)` (test/helpers/clock-ahead.mjs), which makes its Date.now follow the
 * offset written to `file`. Only the wall clock moves, as under an NTP step; the process's
 * timers and performance.now keep real time.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as pause } from 'node:timers/promises';
import { RequestSigner } from '../../src/app/signing.js';
import { clockFollowing } from '../../test/helpers/process.js';

export class SteppedClock {
  #offsetMs = 0;

  constructor(private readonly file: string) {
    this.#write(0);
  }

  /** Whole or not at all: the process never reads a half-written offset. */
  #write(offsetMs: number): void {
    writeFileSync(`${this.file}.tmp`, String(offsetMs));
    renameSync(`${this.file}.tmp`, this.file);
  }

  /** What to add to a process's environment so that its clock follows this one. */
  env(): Record<string, string> {
    return clockFollowing(this.file);
  }

  /** How far the node's clock is from the real one, ms (negative: behind). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The node's time, ms since the epoch. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Steps the clock of the process `pid` to `offsetMs` from real time; resolves once it has applied it. */
  async step(offsetMs: number, pid: number, timeoutMs = 10_000): Promise<void> {
    this.#write(offsetMs);
    const deadline = Date.now() + timeoutMs;
    while (applied(`${this.file}.${pid}`) !== offsetMs) {
      if (Date.now() > deadline) throw new Error(`process ${pid} did not apply the clock offset ${offsetMs} ms in ${timeoutMs} ms`);
      await pause(10);
    }
    this.#offsetMs = offsetMs;
  }

  /**
   * A fetch for SealPushApp that signs each request with this clock, as a publisher on the
   * node's own host (whose clock stepped with it) would: the SDK's signature is replaced.
   */
  signingFetch(appId: string, secret: string): typeof fetch {
    const signer = new RequestSigner(appId, secret);
    return async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = (init?.method ?? 'GET') as 'GET' | 'POST' | 'DELETE';
      const body = init?.body instanceof Uint8Array ? init.body : new Uint8Array(0);
      const authorization = await signer.authorization({ method, pathWithQuery: url.pathname + url.search, body }, this.now());
      return fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization } });
    };
  }
}

function applied(ackFile: string): number | undefined {
  try {
    return Number(readFileSync(ackFile, 'utf8'));
  } catch {
    return undefined;
  }
}
