/**
 * When the client tries to connect again: after the backoff's delay, or at once on a wake
 * signal (wake.ts). One instance per client; `stop()` (on close) cancels the pending attempt
 * and removes the wake listeners.
 */
import { Backoff, type ReconnectOptions } from './backoff.js';
import { listenForWake, type WakeSignals } from './wake.js';

export class RetrySchedule {
  private readonly backoff: Backoff;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly stopListening: () => void;

  /** `attempt` opens a new connection; it is called at most once per `later()`. */
  constructor(options: ReconnectOptions, wake: WakeSignals, private readonly attempt: () => void) {
    this.backoff = new Backoff(options);
    this.stopListening = listenForWake(wake, () => this.now());
  }

  /** Schedules the next attempt after the backoff's next delay; returns that delay (ms). */
  later(): number {
    const delayMs = this.backoff.next();
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt();
    }, delayMs);
    return delayMs;
  }

  /** A session is up: the next outage starts again from minDelayMs. */
  succeeded(): void {
    this.backoff.reset();
  }

  /** No more attempts, and no more listening (close()). */
  stop(): void {
    this.cancel();
    this.stopListening();
  }

  /** An attempt that waits goes now, and the backoff starts over; nothing when none waits (connected, or connecting). */
  private now(): void {
    if (this.timer === null) return;
    this.cancel();
    this.backoff.reset();
    this.attempt();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
