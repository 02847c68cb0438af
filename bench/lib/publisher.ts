/**
 * The publisher: signed POSTs over keep-alive HTTP (node:http, a fixed number of requests in
 * flight), to `/v1/messages/batch` or `/v1/messages`. Each message's data is a JSON object
 * of exactly `messageBytes` bytes carrying its send time, so clients can measure end-to-end
 * latency. Every request is signed as sealpush requires (HMAC-SHA-256, docs/api.md); the
 * baselines ignore the header, so the publisher does the same work for every server.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { nowUs, sleep } from './clock.js';

export interface PublishTarget {
  readonly url: string;
  /** sealpush's app id and secret; any value for the baselines. */
  readonly appId: string;
  readonly secret: string;
}

export interface PublishReport {
  /** Messages put in a request. */
  readonly sent: number;
  /** Messages the server accepted (202 and a queued result). */
  readonly accepted: number;
  readonly refused: number;
  readonly requests: number;
  readonly startUs: number;
  readonly endUs: number;
  readonly firstError?: string;
}

export interface BurstOptions {
  /** Recipients, addressed round-robin: message n goes to clients[n % clients.length]. */
  readonly clients: readonly string[];
  readonly count: number;
  /** 1: one message per request on /v1/messages; more: /v1/messages/batch. */
  readonly perRequest: number;
  readonly inFlight: number;
  readonly phase: number;
}

export interface PacedOptions {
  readonly clients: readonly string[];
  /** Messages per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly perRequest: number;
  /** Requests in flight at most; past it the publisher falls behind (reported as the achieved rate). */
  readonly maxInFlight: number;
  readonly phase: number;
}

const PAD = 'x'.repeat(64 * 1024);

/** The `data` of message `n`: exactly `size` bytes of JSON (when size allows). */
export function benchData(t: number, n: number, phase: number, size: number): string {
  const head = `{"t":${Math.round(t)},"n":${n},"r":${phase},"p":"`;
  return `${head}${PAD.slice(0, Math.max(0, size - head.length - 2))}"}`;
}

export class Publisher {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly key: Buffer;
  /** Messages put in a request so far (for progress). */
  issued = 0;

  constructor(
    private readonly target: PublishTarget,
    private readonly messageBytes: number,
    maxSockets: number,
  ) {
    const url = new URL(target.url);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.key = Buffer.from(target.secret, 'base64url');
    this.agent = new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Publishes `count` messages as fast as `inFlight` requests at a time allow. */
  async burst(options: BurstOptions): Promise<PublishReport> {
    const state = newState();
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < options.count) {
        const first = next;
        const n = Math.min(options.perRequest, options.count - first);
        next += n;
        await this.send(options.clients, first, n, options.perRequest > 1, options.phase, state);
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, loop));
    return report(state);
  }

  /** Publishes at a steady `rate` for `durationMs`, checking the schedule about every millisecond. */
  async paced(options: PacedOptions): Promise<PublishReport> {
    const state = newState();
    const total = Math.floor((options.rate * options.durationMs) / 1000);
    const start = nowUs();
    let next = 0;
    let inFlight = 0;
    const pending = new Set<Promise<void>>();
    while (next < total) {
      const due = Math.min(total, Math.floor(((nowUs() - start) / 1e6) * options.rate));
      while (next < due && inFlight < options.maxInFlight) {
        const n = Math.min(options.perRequest, due - next);
        const first = next;
        next += n;
        inFlight++;
        const p = this.send(options.clients, first, n, options.perRequest > 1, options.phase, state).finally(() => {
          inFlight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      await sleep(1);
    }
    await Promise.all(pending);
    return report(state);
  }

  private async send(clients: readonly string[], first: number, n: number, batch: boolean, phase: number, state: State): Promise<void> {
    const t = nowUs();
    let body: string;
    if (batch) {
      const parts: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = first + i;
        parts[i] = `{"to":"${clients[k % clients.length]!}","data":${benchData(t, k, phase, this.messageBytes)}}`;
      }
      body = `{"messages":[${parts.join(',')}]}`;
    } else {
      body = `{"to":"${clients[first % clients.length]!}","data":${benchData(t, first, phase, this.messageBytes)}}`;
    }
    state.startUs ??= t;
    state.sent += n;
    state.requests++;
    this.issued += n;
    const path = batch ? '/v1/messages/batch' : '/v1/messages';
    try {
      const { status, text } = await this.post(path, body);
      if (status !== 202) {
        state.refused += n;
        state.firstError ??= `HTTP ${status}: ${text.slice(0, 300)}`;
      } else if (batch) {
        const { results } = JSON.parse(text) as { results: { status?: string; error?: { code: string } }[] };
        for (const result of results) {
          if (result.status === 'queued') state.accepted++;
          else {
            state.refused++;
            state.firstError ??= JSON.stringify(result).slice(0, 300);
          }
        }
      } else {
        state.accepted += n;
      }
    } catch (err) {
      state.refused += n;
      state.firstError ??= err instanceof Error ? err.message : String(err);
    }
    state.endUs = nowUs();
  }

  private authorization(path: string, body: string): string {
    const ts = Math.floor(Date.now() / 1000);
    const nonce = randomBytes(16).toString('base64url');
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const sig = createHmac('sha256', this.key).update(`POST\n${path}\n${ts}\n${nonce}\n${bodyHash}`).digest('base64url');
    return `SEALPUSH-HMAC-SHA256 app=${this.target.appId},ts=${ts},nonce=${nonce},sig=${sig}`;
  }

  private post(path: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          method: 'POST',
          path,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: this.authorization(path, body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error('request timed out after 60 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

interface State {
  sent: number;
  accepted: number;
  refused: number;
  requests: number;
  startUs: number | undefined;
  endUs: number;
  firstError: string | undefined;
}

function newState(): State {
  return { sent: 0, accepted: 0, refused: 0, requests: 0, startUs: undefined, endUs: 0, firstError: undefined };
}

function report(state: State): PublishReport {
  const startUs = state.startUs ?? nowUs();
  return {
    sent: state.sent,
    accepted: state.accepted,
    refused: state.refused,
    requests: state.requests,
    startUs,
    endUs: Math.max(startUs, state.endUs),
    ...(state.firstError ? { firstError: state.firstError } : {}),
  };
}

/** A secret-shaped dummy for the baselines (they check no signature). */
export const BASELINE_SECRET = Buffer.alloc(32, 7).toString('base64url');
