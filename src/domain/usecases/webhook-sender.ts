/**
 * Sends the webhook outbox (docs/webhooks.md). Each node runs one sender; an endpoint is sent
 * by the node holding its lease (WebhookOutbox.claimWebhookEndpoints), so every event leaves
 * from one node at a time and a node that dies loses nothing: another takes the lease when it
 * runs out and sends what was not settled, again (at least once, same `webhook-id`).
 *
 * Order. Events of one client go out in outbox order: a client's chain stops at its first
 * event that is not due or that fails, and the events after it wait. Chains of different
 * clients run side by side, `concurrency` at a time per endpoint.
 *
 * Retries. A failed attempt is tried again after WEBHOOK_FIRST_RETRY_MS, doubling, each wait
 * at most WEBHOOK_MAX_RETRY_MS (or what a 429/503 asked for, within that), until
 * `retryPeriodMs` after the change (or after `webhooks retry` requeued it); then the event is
 * kept as failed (`webhooks failed`).
 * The schedule is in the outbox, so a restart resumes it. An endpoint failing without a single
 * success for `pauseAfterMs` is paused: nothing is sent to it until `webhooks retry`.
 */
import type { AppRegistry } from '../ports/app-registry.js';
import type { Kms } from '../ports/kms.js';
import type { Clock, Logger } from '../ports/runtime.js';
import type { WebhookAttempt, WebhookTransport } from '../ports/webhook-transport.js';
import type { StoredWebhookEndpoint, WebhookEvent, WebhookOutbox, WebhookQueueStats, WebhookRetry } from '../ports/webhooks.js';
import {
  WEBHOOK_MAX_RETRY_MS,
  batchWebhookId,
  webhookBatchPayload,
  webhookPayload,
  webhookRetryDelay,
  type WebhookBatchEntry,
  type WebhookReceipt,
} from '../webhooks.js';
import { errorMessage } from '../errors.js';
import { bytesEqual } from '../bytes.js';
import { webhookSecretContext } from './webhook-endpoints.js';

export interface WebhookSenderOptions {
  /** This node's name in the leases. */
  readonly owner: string;
  /** Time between two looks at the outbox, ms. */
  readonly pollMs: number;
  /** How long a lease holds an endpoint, ms. */
  readonly leaseMs: number;
  /** How long an event is retried after its change, ms (default 3 days). */
  readonly retryPeriodMs: number;
  /** How long an endpoint fails without a success before it is paused, ms. */
  readonly pauseAfterMs: number;
  /** Most events in one request of a `batch` endpoint. */
  readonly maxBatch: number;
  /** Client chains sent side by side per endpoint. */
  readonly concurrency: number;
  /** Endpoints claimed per look. */
  readonly endpointsPerRound: number;
}

export const DEFAULT_WEBHOOK_SENDER: Omit<WebhookSenderOptions, 'owner'> = {
  pollMs: 250,
  leaseMs: 30_000,
  retryPeriodMs: 3 * 24 * 3600_000,
  pauseAfterMs: 3 * 24 * 3600_000,
  maxBatch: 100,
  concurrency: 8,
  endpointsPerRound: 16,
};

/** What the sender counts (drivers/metrics). */
export interface WebhookMetrics {
  /** Events whose attempt ended this way: 'sent' (2xx), 'retry' (failed, to be tried again), 'failed' (out of time). */
  webhookEvents(outcome: 'sent' | 'retry' | 'failed', count: number): void;
  webhookQueue(stats: WebhookQueueStats, now: number): void;
}

export interface WebhookSenderDeps {
  readonly store: WebhookOutbox & Pick<AppRegistry, 'getApp'>;
  readonly kms: Kms;
  readonly transport: WebhookTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: WebhookMetrics;
  /** The signed receipt of an acked message, for apps with receipts on; undefined when there is none. */
  readonly receiptOf?: (appId: string, messageId: string) => Promise<WebhookReceipt | undefined>;
  /** A number in [0, 1): the retries' jitter. */
  readonly random?: () => number;
}

/** The outcome of one round of an endpoint, before it is settled in the store. */
interface Round {
  readonly sent: number[];
  readonly retries: WebhookRetry[];
  readonly failed: WebhookRetry[];
  successes: number;
  failures: number;
}

export class WebhookSender {
  readonly #deps: WebhookSenderDeps;
  readonly #options: WebhookSenderOptions;
  /** Unwrapped secrets by endpoint, with the wrapped blobs they came from (a rotation shows as a new blob). */
  readonly #secrets = new Map<string, { readonly wrapped: Uint8Array; readonly previous: Uint8Array | null; readonly keys: Uint8Array[] }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #lastStats = 0;

  constructor(deps: WebhookSenderDeps, options: WebhookSenderOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops looking, waits for the round in flight, and gives the leases back. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
    await this.#deps.store.releaseWebhookEndpoints(this.#options.owner).catch(() => undefined);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .then((busy) => this.#schedule(busy ? 0 : this.#options.pollMs))
        .catch((err: unknown) => {
          this.#deps.logger.warn({ err: errorMessage(err) }, 'webhooks: round failed; trying again');
          this.#schedule(this.#options.pollMs);
        });
    }, ms);
    this.#timer.unref?.();
  }

  /** One look at the outbox: claims the endpoints with due events and sends a round of each. True when it sent anything. */
  async tick(): Promise<boolean> {
    const { store, clock } = this.#deps;
    const { owner, leaseMs, endpointsPerRound } = this.#options;
    const now = clock.now();
    await this.#reportQueue(now);
    const endpoints = await store.claimWebhookEndpoints(owner, now, now + leaseMs, endpointsPerRound);
    const rounds = await Promise.all(endpoints.map((endpoint) => this.#round(endpoint)));
    return rounds.some((sent) => sent > 0);
  }

  async #reportQueue(now: number): Promise<void> {
    const metrics = this.#deps.metrics;
    if (metrics === undefined || now - this.#lastStats < 5000) return;
    this.#lastStats = now;
    metrics.webhookQueue(await this.#deps.store.webhookQueueStats(), now);
  }

  /** Sends what is due of one endpoint, settles it; returns how many events were sent. */
  async #round(endpoint: StoredWebhookEndpoint): Promise<number> {
    const { store, clock, logger, metrics } = this.#deps;
    const { maxBatch, concurrency, leaseMs } = this.#options;
    const started = clock.now();
    const secrets = await this.#secretsOf(endpoint, started);
    // A batch endpoint sends at most maxBatch a round; one event a request is worth a longer look ahead (more clients side by side).
    const events = await store.pendingWebhookEvents(endpoint.id, endpoint.batch ? maxBatch : 500);
    const round: Round = { sent: [], retries: [], failed: [], successes: 0, failures: 0 };
    const receipts = await this.#receiptsWanted(endpoint.appId);
    const send = (batch: readonly WebhookEvent[]): Promise<boolean> => this.#attempt(endpoint, secrets, batch, receipts, round);
    const chains = dueChains(events, started);
    if (endpoint.batch) {
      // Chains head to tail, interleaved in outbox order, as one request of at most maxBatch events.
      const due = events.filter((e) => chains.get(e.clientId)?.includes(e) === true).slice(0, maxBatch);
      if (due.length > 0) await send(due);
    } else {
      const queue = [...chains.values()];
      const deadline = started + leaseMs / 2;
      const worker = async (): Promise<void> => {
        for (let chain = queue.shift(); chain !== undefined; chain = queue.shift()) {
          for (const event of chain) {
            if (clock.now() >= deadline || !(await send([event]))) break;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    }
    const now = clock.now();
    let failingSince = endpoint.failingSince;
    if (round.successes > 0) failingSince = null;
    else if (round.failures > 0) failingSince ??= now;
    const pause = failingSince !== null && now - failingSince >= this.#options.pauseAfterMs;
    if (pause) logger.warn({ endpoint: endpoint.id, app: endpoint.appId, failingSince }, 'webhooks: endpoint paused: it kept failing (webhooks retry resumes it)');
    await store.settleWebhookEvents(endpoint.id, { ...round, failingSince, pausedAt: pause ? now : null });
    metrics?.webhookEvents('sent', round.sent.length);
    metrics?.webhookEvents('retry', round.retries.length);
    metrics?.webhookEvents('failed', round.failed.length);
    return round.sent.length;
  }

  /** One request of `batch` (one event, or a batch endpoint's several); records its outcome. True when it succeeded. */
  async #attempt(endpoint: StoredWebhookEndpoint, secrets: Uint8Array[], batch: readonly WebhookEvent[], receipts: boolean, round: Round): Promise<boolean> {
    const { transport, clock } = this.#deps;
    const payloads: WebhookBatchEntry[] = [];
    for (const event of batch) payloads.push({ id: event.id, ...webhookPayload(event, receipts ? await this.#receipt(event) : undefined) });
    const first = batch[0]!;
    const { id: _id, ...single } = payloads[0]!;
    const body = JSON.stringify(endpoint.batch ? webhookBatchPayload(payloads) : single);
    const id = endpoint.batch ? batchWebhookId(first.id, batch.length) : first.id;
    let attempt: WebhookAttempt;
    try {
      attempt = await transport.send({ url: endpoint.url, id, timestamp: Math.floor(clock.now() / 1000), body, secrets });
    } catch (err) {
      attempt = { ok: false, error: `send: ${errorMessage(err)}` };
    }
    if (attempt.ok) {
      round.successes++;
      for (const event of batch) round.sent.push(event.no);
      return true;
    }
    round.failures++;
    const now = clock.now();
    for (const event of batch) {
      const wait = Math.min(Math.max(webhookRetryDelay(event.attempts + 1, this.#random()), attempt.retryAfterMs ?? 0), WEBHOOK_MAX_RETRY_MS);
      const retry = { no: event.no, nextAt: now + wait, lastError: attempt.error };
      if (now + wait - event.retryFrom > this.#options.retryPeriodMs) round.failed.push(retry);
      else round.retries.push(retry);
    }
    return false;
  }

  async #receiptsWanted(appId: string): Promise<boolean> {
    if (this.#deps.receiptOf === undefined) return false;
    return (await this.#deps.store.getApp(appId))?.receipts === true;
  }

  async #receipt(event: WebhookEvent): Promise<WebhookReceipt | undefined> {
    if (event.type !== 'message.acked') return undefined;
    return this.#deps.receiptOf?.(event.appId, event.messageId);
  }

  async #secretsOf(endpoint: StoredWebhookEndpoint, now: number): Promise<Uint8Array[]> {
    const cached = this.#secrets.get(endpoint.id);
    const previousLive = endpoint.previousWrappedSecret !== null && (endpoint.previousSecretNotAfter ?? 0) > now ? endpoint.previousWrappedSecret : null;
    if (cached !== undefined && sameBytes(cached.wrapped, endpoint.wrappedSecret) && sameBytes(cached.previous, previousLive)) return cached.keys;
    const context = webhookSecretContext(endpoint.id);
    const keys = [await this.#deps.kms.unwrap(endpoint.wrappedSecret, context)];
    if (previousLive !== null) keys.push(await this.#deps.kms.unwrap(previousLive, context));
    this.#secrets.set(endpoint.id, { wrapped: endpoint.wrappedSecret, previous: previousLive, keys });
    return keys;
  }

  #random(): number {
    return (this.#deps.random ?? Math.random)();
  }
}

/**
 * Each client's due events in outbox order: its chain starts at its first pending event and
 * stops before the first one not yet due (an event waiting for its retry holds back the
 * client's later ones). A client whose first event is not due has no chain.
 */
export function dueChains(events: readonly WebhookEvent[], now: number): Map<string, WebhookEvent[]> {
  const chains = new Map<string, WebhookEvent[]>();
  const blocked = new Set<string>();
  for (const event of events) {
    if (blocked.has(event.clientId)) continue;
    if (event.nextAt > now) {
      blocked.add(event.clientId);
      continue;
    }
    const chain = chains.get(event.clientId);
    if (chain === undefined) chains.set(event.clientId, [event]);
    else chain.push(event);
  }
  return chains;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : bytesEqual(a, b);
}
