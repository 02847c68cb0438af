/**
 * When the back-end SDK sends a request again, and after how long. Only a request that cannot
 * act twice is retried (a read, or a publish whose every message has an id: the server answers
 * a known id with the first message), and only after a failure that says nothing was done or
 * that the answer was lost: 429, 502, 503, 504, a network error or a timeout. Each attempt is
 * signed anew (a fresh nonce and timestamp), so a retry is never refused as a replay.
 */
import { SealPushError } from '../domain/errors.js';
import { Backoff } from '../client/backoff.js';

export interface RetryOptions {
  /** Attempts in all, the first included (1: never retry). Default 3. */
  readonly attempts?: number;
  /** The first delay's ceiling; each delay is jittered between half of it and the current ceiling. Default 250 ms. */
  readonly minDelayMs?: number;
  /**
   * Longest delay between attempts, the ceiling doubling from minDelayMs up to it. A server
   * that asks (Retry-After) for a longer wait than this ends the retries at once. Default 5000 ms.
   */
  readonly maxDelayMs?: number;
}

export type RetryPolicy = Readonly<Required<RetryOptions>>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, minDelayMs: 250, maxDelayMs: 5000 };

/** HTTP statuses after which the same request may succeed and did nothing the first time (or, 502/504, may have: the id dedups). */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/** The policy of the `retry` option; null when retrying is off. Throws ERR_BAD_REQUEST for an invalid one. */
export function retryPolicy(option: boolean | RetryOptions | undefined): RetryPolicy | null {
  if (option === false) return null;
  if (option === undefined || option === true) return DEFAULT_RETRY;
  const policy = { ...DEFAULT_RETRY, ...option };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new SealPushError('ERR_BAD_REQUEST', 'retry.attempts must be a whole number of at least 1 (attempts in all)');
  }
  if (!Number.isFinite(policy.minDelayMs) || policy.minDelayMs < 0) throw new SealPushError('ERR_BAD_REQUEST', 'retry.minDelayMs must be 0 or more');
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.minDelayMs) {
    throw new SealPushError('ERR_BAD_REQUEST', 'retry.maxDelayMs must be at least retry.minDelayMs');
  }
  return policy;
}

/** Whether an answer with this HTTP status (undefined: none came, a network error or timeout) may be retried. */
export function isTransient(status: number | undefined): boolean {
  return status === undefined || TRANSIENT_STATUSES.has(status);
}

/** The delays of one request's retries: exponential with jitter, or what the server asked for. */
export class RetrySchedule {
  private attempt = 1;
  private readonly backoff: Backoff;

  constructor(private readonly policy: RetryPolicy) {
    this.backoff = new Backoff({ minDelayMs: policy.minDelayMs, maxDelayMs: policy.maxDelayMs });
  }

  /**
   * Milliseconds to wait before the next attempt, or undefined when there is none: the
   * attempts are spent, or the server asked (`retryAfterSeconds`) for more than maxDelayMs.
   */
  next(retryAfterSeconds: number | undefined): number | undefined {
    if (this.attempt >= this.policy.attempts) return undefined;
    this.attempt += 1;
    const backoff = this.backoff.next();
    if (retryAfterSeconds === undefined) return backoff;
    const asked = retryAfterSeconds * 1000;
    if (asked > this.policy.maxDelayMs) return undefined;
    // At least what was asked; the jitter keeps many publishers from coming back in step.
    return Math.min(this.policy.maxDelayMs, Math.max(asked + Math.random() * this.policy.minDelayMs, backoff));
  }
}

/** A Retry-After header as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
