/**
 * The crash loop's load, recorded as a History: publishers that retry with the same ids until
 * they get a 202 (single publishes, one lane per client, and batches, one lane per group of
 * clients, so that each client's messages are accepted in a known order), SDK clients that
 * reconnect by themselves and now and then close and come back with their saved session, and a
 * reader sampling statuses. Everything survives the node dying under it at any moment.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { connectRecorded } from '../lib/clients.js';
import { jittered } from '../lib/jitter.js';

export interface LoadOptions {
  readonly url: string;
  readonly appId: string;
  readonly secret: string;
  readonly serverKey: string;
  readonly clients: number;
  /** Clients per batch lane; the first half of the clients publish singly, the rest in batches. */
  readonly batchClients: number;
  /** Mean pause between two publishes of a lane, ms. */
  readonly paceMs: number;
  /** Mean time between a client's close-and-resume, ms (0: never). */
  readonly churnMs: number;
  /** Every message's ttl, s (default: the node's defaultTtlSeconds). */
  readonly ttlSeconds?: number;
  /** The fetch of the publisher's and the reader's SDK (clock-steps: one that signs with the node's clock). */
  readonly fetch?: typeof fetch;
  /**
   * Refusals sent again (same ids) besides ERR_UNAVAILABLE and ERR_RATE_LIMITED: clock-steps's
   * ERR_AUTH_EXPIRED, for the instant of a step when the node's clock and the publisher's disagree.
   */
  readonly alsoRetry?: readonly string[];
  /** A publish attempt's timeout, ms (default 3000): past it, the attempt counts as unanswered. */
  readonly publishTimeoutMs?: number;
  /**
   * Told every answer of every publish attempt and status sample. When set, the SDK does not
   * retry (the lanes still send again with the same ids), so that each answer is the node's own.
   */
  readonly onAnswer?: (answer: Answer) => void;
}

/** One request of the load and what came back, as `onAnswer` is told it. */
export interface Answer {
  readonly kind: 'publish' | 'read';
  /** Date.now() when it was sent and when its answer (or failure) came. */
  readonly sentAt: number;
  readonly answeredAt: number;
  /** `ok` (202, or the status read), a catalogue code, or `no answer` (timed out or connection failed). */
  readonly outcome: string;
  /** Retry-After of an error answer, in seconds. */
  readonly retryAfterSeconds?: number;
}

/** What an SDK call's failure says about the node's answer (the SDK reports "no answer" with this message). */
function outcomeOf(err: unknown): Pick<Answer, 'outcome' | 'retryAfterSeconds'> {
  if (!isSealPushError(err)) return { outcome: 'no answer' };
  if (err.code === 'ERR_UNAVAILABLE' && err.message.startsWith('sealpush did not answer')) return { outcome: 'no answer' };
  return { outcome: err.code, retryAfterSeconds: err.retryAfterSeconds };
}

/** What the load counted, for a scenario's result. */
export interface LoadReport {
  readonly resent: number;
  readonly resentFor: Readonly<Record<string, number>>;
  readonly resumes: number;
  readonly statusReads: number;
  readonly refusals: readonly string[];
  /** The reads of the first messages whose status went back. */
  readonly backwardReads: readonly string[];
}

export class CrashLoad {
  readonly accepted = new Map<string, string[]>();
  readonly received = new Map<string, string[]>();
  readonly statuses = new Map<string, string[]>();
  /** Publishes refused for good (a code that is not "try again"): a defect, each one. */
  readonly refusals: string[] = [];
  /** Publish calls that gave up after the SDK's own retries and were made again. */
  resent = 0;
  /** Why they gave up, by error code (`no answer`: no catalogue error came back). */
  readonly resentFor: Record<string, number> = {};
  resumes = 0;
  #stopping = false;
  #running: Promise<void>[] = [];
  readonly #clients = new Map<string, SealPushClient>();
  readonly #publisher: SealPushApp;
  readonly #reader: SealPushApp;

  constructor(private readonly options: LoadOptions) {
    const base = { url: options.url, appId: options.appId, secret: options.secret, ...(options.fetch ? { fetch: options.fetch } : {}) };
    const retry = options.onAnswer === undefined ? { attempts: 40, minDelayMs: 20, maxDelayMs: 500 } : false;
    this.#publisher = new SealPushApp({ ...base, timeoutMs: options.publishTimeoutMs ?? 3000, retry });
    this.#reader = new SealPushApp({ ...base, timeoutMs: options.publishTimeoutMs ?? 2000, retry: false });
  }

  get publishedCount(): number {
    let n = 0;
    for (const ids of this.accepted.values()) n += ids.length;
    return n;
  }

  /** Its counts; `backwards`: the ids whose status went back, as the history's check found them. */
  report(backwards: readonly string[]): LoadReport {
    return {
      resent: this.resent, resentFor: this.resentFor, resumes: this.resumes, refusals: this.refusals,
      statusReads: [...this.statuses.values()].reduce((n, reads) => n + reads.length, 0),
      backwardReads: backwards.slice(0, 10).map((id) => `${id}: ${this.statuses.get(id)!.join(' > ')}`),
    };
  }

  /** Connects the clients (the node must be up) and starts publishing, churning and sampling. */
  async start(): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < this.options.clients; i++) {
      const client = await this.#connect();
      ids.push(client.clientId);
      this.accepted.set(client.clientId, []);
    }
    const singles = Math.ceil(ids.length / 2);
    for (const id of ids.slice(0, singles)) this.#running.push(this.#singleLane(id));
    for (let i = singles; i < ids.length; i += this.options.batchClients) this.#running.push(this.#batchLane(ids.slice(i, i + this.options.batchClients)));
    if (this.options.churnMs > 0) for (const id of ids) this.#running.push(this.#churn(id));
    this.#running.push(this.#sample());
  }

  /** Stops publishing; resolves once every lane has its last message accepted. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#running);
  }

  /** Resolves once every client received as many messages as it was sent, or at `deadline` (false). */
  async drained(deadline: number): Promise<boolean> {
    const done = (): boolean => [...this.accepted].every(([id, sent]) => new Set(this.received.get(id)).size >= sent.length);
    while (!done()) {
      if (Date.now() > deadline) return false;
      await pause(100);
    }
    return true;
  }

  /** Closes every client: each sends its last ACK first. */
  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((c) => c.close()));
  }

  /**
   * Every accepted message's status, recorded with the samples: read until it is acked (the
   * clients' last ACKs are committed in the background) or until `deadline`, then as it is.
   */
  async finalStatuses(deadline: number): Promise<Map<string, string>> {
    const final = new Map<string, string>();
    let unsettled = [...this.accepted.values()].flat();
    do {
      const ids = [...unsettled];
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
          const status = await this.#status(id, 50);
          final.set(id, status);
          this.#record(id, status);
        }
      }));
      unsettled = unsettled.filter((id) => final.get(id) !== 'acked');
      if (unsettled.length > 0) await pause(200);
    } while (unsettled.length > 0 && Date.now() < deadline);
    return final;
  }

  async #connect(session?: ReturnType<SealPushClient['session']>): Promise<SealPushClient> {
    // The node may be down: as a user's client, try again until it is back.
    const { client } = await connectRecorded(this.options, this.received, session);
    this.#clients.set(client.clientId, client);
    return client;
  }

  async #singleLane(to: string): Promise<void> {
    for (let n = 0; !this.#stopping; n++) {
      const id = `${to}-s${n}`;
      await this.#publish(async () => {
        const accepted = await this.#publisher.publish({ to, data: { n }, id, ttl: this.options.ttlSeconds });
        this.accepted.get(to)!.push(accepted.id);
      });
      await pause(jittered(this.options.paceMs));
    }
  }

  async #batchLane(clients: readonly string[]): Promise<void> {
    for (let n = 0; !this.#stopping; n++) {
      const messages = clients.map((to) => ({ to, data: { n }, id: `${to}-b${n}`, ttl: this.options.ttlSeconds }));
      await this.#publish(async () => {
        const results = await this.#publisher.publishBatch(messages);
        results.forEach((r, i) => {
          if ('id' in r) this.accepted.get(messages[i]!.to)!.push(r.id);
          else this.refusals.push(`${messages[i]!.id}: ${JSON.stringify(r)}`);
        });
      });
      await pause(jittered(this.options.paceMs));
    }
  }

  /** Runs a publish until it is accepted: transient failures (the node down) are sent again, with the same ids. */
  async #publish(attempt: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await this.#answered('publish', attempt);
      } catch (err) {
        const retried = ['ERR_UNAVAILABLE', 'ERR_RATE_LIMITED', ...(this.options.alsoRetry ?? [])];
        if (isSealPushError(err) && !retried.includes(err.code)) {
          this.refusals.push(`${err.code}: ${err.message}`);
          return;
        }
        this.resent++;
        const why = isSealPushError(err) ? err.code : 'no answer';
        this.resentFor[why] = (this.resentFor[why] ?? 0) + 1;
        await pause(jittered(100));
      }
    }
  }

  /** Now and then a client closes and a new instance resumes its session, as an app restarting would. */
  async #churn(clientId: string): Promise<void> {
    while (!this.#stopping) {
      await pause(jittered(this.options.churnMs));
      if (this.#stopping) return;
      const client = this.#clients.get(clientId)!;
      await client.close(); // what it handed to the application up to its close is in the session
      const session = client.session();
      await this.#connect(session);
      this.resumes++;
    }
  }

  async #sample(): Promise<void> {
    while (!this.#stopping) {
      await pause(50);
      const lists = [...this.accepted.values()].filter((l) => l.length > 0);
      const list = lists[Math.floor(Math.random() * lists.length)];
      const id = list?.[Math.floor(Math.random() * list.length)];
      if (id === undefined) continue;
      try {
        this.#record(id, (await this.#answered('read', () => this.#reader.status(id))).status);
      } catch {
        // the node is down: a sample missed
      }
    }
  }

  async #status(id: string, tries: number): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#reader.status(id)).status;
      } catch (err) {
        if (attempt >= tries) throw err;
        await pause(100);
      }
    }
  }

  /** Runs one request, telling `onAnswer` (if set) what came back. */
  async #answered<T>(kind: Answer['kind'], request: () => Promise<T>): Promise<T> {
    const sentAt = Date.now();
    try {
      const result = await request();
      this.options.onAnswer?.({ kind, sentAt, answeredAt: Date.now(), outcome: 'ok' });
      return result;
    } catch (err) {
      this.options.onAnswer?.({ kind, sentAt, answeredAt: Date.now(), ...outcomeOf(err) });
      throw err;
    }
  }

  #record(id: string, status: string): void {
    const reads = this.statuses.get(id) ?? [];
    reads.push(status);
    this.statuses.set(id, reads);
  }
}
