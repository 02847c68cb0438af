/**
 * The soak's publishers: SealPushApp (the SDK, with its retries) sending single messages and
 * batches to the population at a paced rate, or as fast as `maxInFlight` requests allow (the
 * ramp that measures the maximum rate). Each message carries its send time (`data.t`) for the
 * latency, and an id, so the SDK's retries are safe. A client has one publish in flight at most,
 * so its messages are accepted in a known order (the history check holds them to it).
 */
import { setTimeout as pause } from 'node:timers/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { SealPushApp } from '../../src/app/index.js';
import { isSealPushError } from '../../src/domain/errors.js';
import type { Member } from './population.js';

export interface PublisherOptions {
  readonly url: string;
  readonly appId: string;
  readonly secret: string;
  /** Requests in flight at most. */
  readonly maxInFlight: number;
  /** Share of messages sent in batches (the rest one per request). */
  readonly batchShare: number;
  /** Messages per batch. */
  readonly batchSize: number;
}

const TICK_MS = 20;

export class Publishers {
  /** Per client identity, the ids that got a 202, in the order they were accepted. */
  readonly accepted = new Map<string, string[]>();
  /** Publishes that failed after the SDK's retries, or batch items refused, by code. */
  readonly errors = new Map<string, number>();
  acceptedCount = 0;
  requests = 0;
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #app: SealPushApp;
  /** Its own connection pool, closed at the end, so the node's sockets can be counted back to idle. */
  readonly #agent: Agent;
  #counter = 0;

  constructor(private readonly options: PublisherOptions) {
    this.#agent = new Agent({ connections: options.maxInFlight });
    const fetch = ((input: string, init: object) => undiciFetch(input, { ...init, dispatcher: this.#agent })) as unknown as typeof globalThis.fetch;
    this.#app = new SealPushApp({ url: options.url, appId: options.appId, secret: options.secret, timeoutMs: 10_000, fetch });
  }

  /** Closes the publishers' HTTP connections (call once they are done). */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Whether `clientId` has a publish in flight. */
  busy(clientId: string): boolean {
    return this.#busy.has(clientId);
  }

  /**
   * Publishes to `targets()` at `rate` messages per second (Infinity: as fast as the requests
   * in flight allow) until `until()` is true, then waits for the requests in flight.
   */
  async run(rate: number, targets: () => Member[], until: () => boolean): Promise<void> {
    const started = Date.now();
    let issued = 0;
    while (!until()) {
      const due = rate === Infinity ? Infinity : Math.floor((rate * (Date.now() - started)) / 1000) - issued;
      let sent = 0;
      if (due > 0 && this.#inFlight.size < this.options.maxInFlight) {
        const idle = targets().filter((m) => !this.#busy.has(m.clientId));
        shuffle(idle);
        while (sent < due && idle.length > 0 && this.#inFlight.size < this.options.maxInFlight) {
          const batch = Math.random() < this.options.batchShare ? Math.min(this.options.batchSize, due - sent, idle.length) : 1;
          const chosen = idle.splice(0, Math.max(1, batch));
          this.#track(chosen.length === 1 ? this.#single(chosen[0]!.clientId) : this.#batch(chosen.map((m) => m.clientId)));
          sent += chosen.length;
        }
        issued += sent;
      }
      if (sent === 0 || rate !== Infinity) await (this.#inFlight.size >= this.options.maxInFlight ? Promise.race(this.#inFlight) : pause(TICK_MS));
    }
    await Promise.all(this.#inFlight);
  }

  #track(publish: Promise<void>): void {
    this.#inFlight.add(publish);
    void publish.finally(() => this.#inFlight.delete(publish));
  }

  #nextId(to: string): string {
    return `${to}-${(this.#counter++).toString(36)}`;
  }

  async #single(to: string): Promise<void> {
    this.#busy.add(to);
    this.requests++;
    try {
      const accepted = await this.#app.publish({ to, data: { t: Date.now() }, id: this.#nextId(to) });
      this.#accept(to, accepted.id);
    } catch (err) {
      this.#count(err);
    } finally {
      this.#busy.delete(to);
    }
  }

  async #batch(clients: readonly string[]): Promise<void> {
    for (const to of clients) this.#busy.add(to);
    this.requests++;
    try {
      const t = Date.now();
      const messages = clients.map((to) => ({ to, data: { t }, id: this.#nextId(to) }));
      const results = await this.#app.publishBatch(messages);
      results.forEach((r, i) => {
        if ('id' in r) this.#accept(messages[i]!.to, r.id);
        else this.#count(r);
      });
    } catch (err) {
      this.#count(err);
    } finally {
      for (const to of clients) this.#busy.delete(to);
    }
  }

  #accept(to: string, id: string): void {
    const ids = this.accepted.get(to) ?? [];
    ids.push(id);
    this.accepted.set(to, ids);
    this.acceptedCount++;
  }

  #count(err: unknown): void {
    const code = isSealPushError(err) ? err.code : typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : String(err);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
