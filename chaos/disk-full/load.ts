/**
 * The disk-full scenario's publishers and readers, recording every answer. Publishes carry
 * ids and are not retried by the SDK, so each answer is the node's own: a 202 puts the id in
 * `accepted`, a refusal counts its code and, when it says "try again", keeps the id for
 * `recover` to send again once there is room.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { SealPushApp } from '../../src/app/index.js';
import { isSealPushError } from '../../src/domain/errors.js';

export interface FillResult {
  /** Whether the disk filled: refusals were seen for `fullForMs` before the deadline. */
  readonly full: boolean;
  readonly accepted: number;
  readonly refused: number;
  /** 202s after the first refusal (room freed by a checkpoint or an ack meanwhile). */
  readonly acceptedAfterFirstRefusal: number;
  readonly msToFirstRefusal: number;
}

export interface RecoveryResult {
  readonly recovered: boolean;
  /** From the filesystem's growth to the first 202, ms. */
  readonly msToFirstAccept: number;
  /** Refused ids sent again (same ids), and new ones published after. */
  readonly retried: number;
  readonly fresh: number;
  readonly stillRefused: number;
}

export interface ReadsAnswer {
  /** GET /v1/messages/:id of a committed message: its status, or the error code. */
  readonly statusRead: string;
  readonly healthz: number;
  readonly readyz: number;
  readonly readyzBody: string;
}

const FRESH = 20;

export class DiskFullLoad {
  /** Per answer (`202` or a catalogue code), how many publishes got it. */
  readonly answers: Record<string, number> = {};
  readonly accepted = new Set<string>();
  /** Ids refused with ERR_UNAVAILABLE and not yet accepted, in the order sent. */
  readonly refused = new Set<string>();
  readonly reader: SealPushApp;
  readonly #publisher: SealPushApp;
  readonly #data: string;

  constructor(private readonly options: { url: string; appId: string; secret: string; to: string; dataBytes: number }) {
    const base = { url: options.url, appId: options.appId, secret: options.secret, retry: false as const };
    this.#publisher = new SealPushApp({ ...base, timeoutMs: 10_000 });
    this.reader = new SealPushApp({ ...base, timeoutMs: 5000 });
    this.#data = randomBytes(Math.ceil(options.dataBytes * 0.75)).toString('base64');
  }

  /** Publishes `id` once; true on a 202. */
  async #publish(id: string): Promise<boolean> {
    let answer = '202';
    try {
      await this.#publisher.publish({ to: this.options.to, data: { id, fill: this.#data }, id });
      this.accepted.add(id);
      this.refused.delete(id);
    } catch (err) {
      answer = isSealPushError(err) ? err.code : `thrown: ${(err as Error).message}`;
      if (answer === 'ERR_UNAVAILABLE') this.refused.add(id);
    }
    this.answers[answer] = (this.answers[answer] ?? 0) + 1;
    return answer === '202';
  }

  /** `lanes` publishers, one request in flight each, until the disk is full or `deadline`. */
  async fill(lanes: number, fullAfterRefusals: number, fullForMs: number, deadline: number): Promise<FillResult> {
    const started = Date.now();
    let firstRefusalAt = 0;
    let acceptedAfter = 0;
    let refusals = 0;
    const full = (): boolean => refusals >= fullAfterRefusals && Date.now() - firstRefusalAt >= fullForMs;
    await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
      for (let n = 0; !full() && Date.now() < deadline; n++) {
        if (await this.#publish(`p${lane}-${n}`)) {
          if (firstRefusalAt > 0) acceptedAfter++;
          continue;
        }
        refusals++;
        if (firstRefusalAt === 0) firstRefusalAt = Date.now();
        await pause(20);
      }
    }));
    return { full: full(), accepted: this.accepted.size, refused: refusals, acceptedAfterFirstRefusal: acceptedAfter, msToFirstRefusal: firstRefusalAt - started };
  }

  /** After the growth: every refused id again (same id) until accepted, then a few new ones. */
  async recover(deadline: number): Promise<RecoveryResult> {
    const started = Date.now();
    let firstAcceptAt = 0;
    const retry = [...this.refused];
    const fresh = Array.from({ length: FRESH }, (_, n) => `after-${n}`);
    for (const id of [...retry, ...fresh]) {
      while (!(await this.#publish(id)) && this.refused.has(id) && Date.now() < deadline) await pause(100);
      if (firstAcceptAt === 0 && this.accepted.has(id)) firstAcceptAt = Date.now();
    }
    const stillRefused = [...retry, ...fresh].filter((id) => !this.accepted.has(id)).length;
    return { recovered: stillRefused === 0, msToFirstAccept: firstAcceptAt - started, retried: retry.length, fresh: FRESH, stillRefused };
  }

  /** A message that got a 202 (for the reads while full). */
  committedSample(): string {
    const [first] = this.accepted;
    if (first === undefined) throw new Error('nothing was accepted before the disk filled');
    return first;
  }

  /** The accepted ids that a status read does not find (after a restart, say). */
  async missing(): Promise<string[]> {
    const ids = [...this.accepted];
    const missing: string[] = [];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        for (let attempt = 1; ; attempt++) {
          try {
            await this.reader.status(id);
            break;
          } catch (err) {
            if (isSealPushError(err) && err.code === 'ERR_UNAVAILABLE' && attempt < 50) await pause(100);
            else {
              missing.push(`${id}: ${isSealPushError(err) ? err.code : String(err)}`);
              break;
            }
          }
        }
      }
    }));
    return missing;
  }
}

/** What the node answers to reads: a committed message's status, /healthz and /readyz. */
export async function readsAnswer(url: string, committedId: string, reader: SealPushApp): Promise<ReadsAnswer> {
  let statusRead: string;
  try {
    statusRead = (await reader.status(committedId)).status;
  } catch (err) {
    statusRead = isSealPushError(err) ? err.code : String(err);
  }
  const healthz = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
  const ready = await fetch(`${url}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }), () => ({ status: 0, body: '' }));
  return { statusRead, healthz, readyz: ready.status, readyzBody: ready.body.slice(0, 300) };
}
