/**
 * What this node did lately, for the operator dashboard (`/v1/admin/throughput` and
 * `/v1/admin/auth-failures`): messages published and delivered per second over the last
 * minutes, and the last refused REST requests. Kept in memory, per node, in fixed space;
 * the durable record of the refusals is the audit log, which counts them per address and code
 * per interval (docs/audit.md).
 */
import type { AuthFailure } from '../audit.js';
import type { Metrics } from '../ports/metrics.js';
import type { NodeReport, RecentAuthFailure } from '../ports/node-reports.js';
import type { Clock } from '../ports/runtime.js';

export interface ThroughputSeries {
  /** Width of one bucket. */
  readonly intervalSeconds: 1;
  /** Start of the last (current, still filling) bucket, ISO 8601; bucket i starts (n - 1 - i) s before it. */
  readonly endsAt: string;
  /** Messages committed, per bucket, oldest first (one node's, or every node's summed: cluster-view.ts). */
  readonly published: readonly number[];
  /** Messages handed to client connections, per bucket, oldest first. */
  readonly delivered: readonly number[];
}

export const ACTIVITY_WINDOW_SECONDS = 600;
export const RECENT_AUTH_FAILURES = 50;
/** Claims are echoed from requests that failed authentication: shown, so kept short. */
const MAX_CLAIM_CHARS = 128;

/** Two counters per second in rings of ACTIVITY_WINDOW_SECONDS, and the last refusals. */
export class NodeActivity {
  private readonly publishedRing = new Float64Array(ACTIVITY_WINDOW_SECONDS);
  private readonly deliveredRing = new Float64Array(ACTIVITY_WINDOW_SECONDS);
  /** The second (since the epoch) the ring's newest bucket holds. */
  private newest: number;
  private readonly failures: RecentAuthFailure[] = [];

  constructor(private readonly clock: Clock) {
    this.newest = Math.floor(clock.now() / 1000);
  }

  published(count: number): void {
    const i = this.bucket();
    this.publishedRing[i] = this.publishedRing[i]! + count;
  }

  delivered(count: number): void {
    const i = this.bucket();
    this.deliveredRing[i] = this.deliveredRing[i]! + count;
  }

  authFailure(failure: AuthFailure): void {
    this.failures.push({
      at: new Date(this.clock.now()).toISOString(),
      code: failure.code,
      scheme: failure.scheme,
      appId: failure.appId?.slice(0, MAX_CLAIM_CHARS) ?? null,
      issuer: failure.issuer?.slice(0, MAX_CLAIM_CHARS) ?? null,
      remote: failure.remote.slice(0, MAX_CLAIM_CHARS),
    });
    if (this.failures.length > RECENT_AUTH_FAILURES) this.failures.shift();
  }

  /** The last `seconds` buckets (1 to ACTIVITY_WINDOW_SECONDS), the current one last. */
  throughput(seconds: number): ThroughputSeries {
    const n = Math.min(Math.max(Math.floor(seconds), 1), ACTIVITY_WINDOW_SECONDS);
    const last = this.bucket();
    const pick = (ring: Float64Array): number[] =>
      Array.from({ length: n }, (_, i) => ring[(last - (n - 1 - i) + ACTIVITY_WINDOW_SECONDS) % ACTIVITY_WINDOW_SECONDS]!);
    return {
      intervalSeconds: 1,
      endsAt: new Date(this.newest * 1000).toISOString(),
      published: pick(this.publishedRing),
      delivered: pick(this.deliveredRing),
    };
  }

  /** This node's part of a NodeReport (ports/node-reports.ts): the whole window and the last failures. */
  reportPart(): Pick<NodeReport, 'endsAtSecond' | 'published' | 'delivered' | 'authFailures'> {
    const series = this.throughput(ACTIVITY_WINDOW_SECONDS);
    return { endsAtSecond: this.newest, published: series.published, delivered: series.delivered, authFailures: this.recentAuthFailures(RECENT_AUTH_FAILURES) };
  }

  /** Newest first, at most `limit`. */
  recentAuthFailures(limit: number): RecentAuthFailure[] {
    return this.failures.slice(-Math.max(0, Math.floor(limit))).reverse();
  }

  /** The ring index of the current second, after zeroing the seconds that passed unrecorded. */
  private bucket(): number {
    const now = Math.floor(this.clock.now() / 1000);
    if (now > this.newest) {
      const passed = Math.min(now - this.newest, ACTIVITY_WINDOW_SECONDS);
      for (let s = 1; s <= passed; s++) {
        const i = (this.newest + s) % ACTIVITY_WINDOW_SECONDS;
        this.publishedRing[i] = 0;
        this.deliveredRing[i] = 0;
      }
      this.newest = now;
    }
    // A clock that stepped back counts into the newest bucket rather than rewrite the past.
    return this.newest % ACTIVITY_WINDOW_SECONDS;
  }
}

/** `metrics` with the published and delivered counts also counted into `activity`. */
export function withActivity(metrics: Metrics, activity: NodeActivity): Metrics {
  return {
    handshake: (result) => metrics.handshake(result),
    published: (count) => {
      metrics.published(count);
      activity.published(count);
    },
    delivered: (count) => {
      metrics.delivered(count);
      activity.delivered(count);
    },
    deliveryLatency: (seconds) => metrics.deliveryLatency(seconds),
    acked: (count) => metrics.acked(count),
    expired: (count) => metrics.expired(count),
    commitLatency: (seconds) => metrics.commitLatency(seconds),
    authFailure: (code) => metrics.authFailure(code),
  };
}
