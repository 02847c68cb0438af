/**
 * Cohort delivery on one node (DESIGN.md section 5, docs/protocol.md section 7): the open
 * connections of one app, in the order they joined, cut into cohorts of at most
 * `cohortSize`. On every tick each cohort gets one envelope, sealed once, and every member
 * is sent the same bytes, whether or not anything in it is for that member. Each node builds
 * envelopes for the clients it holds.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../domain/ports/runtime.js';
import type { CohortSettings } from '../../domain/types.js';
import { sealCohortEnvelope, slotCapacity } from '../../crypto/cohort.js';
import { nodeNoiseCrypto } from '../../crypto/node/noise-crypto.js';
import type { Connection } from './connection.js';
import { cohortCapacity } from './cohort-queue.js';
import { errorMessage } from '../../domain/errors.js';

/**
 * The slot size and count of one cohort's envelope at a tick: the smallest size bucket that
 * holds every member's bundle, and the smallest count bucket with a slot per member.
 * Settings are validated (delivery-settings.ts) so that both buckets always exist.
 */
export function envelopeShape(
  settings: Pick<CohortSettings, 'slotBytes' | 'slotCounts'>,
  bundles: readonly Uint8Array[],
): { slotBytes: number; slotCount: number } {
  const needed = Math.max(0, ...bundles.map((b) => b.length));
  return {
    slotBytes: settings.slotBytes.find((bytes) => slotCapacity(bytes) >= needed)!,
    slotCount: settings.slotCounts.find((n) => n >= bundles.length)!,
  };
}

export class CohortGroup {
  private readonly members: Connection[] = [];
  private readonly timer: NodeJS.Timeout;
  private tick = 0;
  private running = false;

  constructor(
    readonly appId: string,
    private readonly settings: CohortSettings,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.runTick(), settings.tickMs);
    this.timer.unref();
  }

  get size(): number {
    return this.members.length;
  }

  /** Joins the next envelope (a client that joins mid-tick is in the next one). */
  add(connection: Connection): void {
    if (!this.members.includes(connection)) this.members.push(connection);
  }

  remove(connection: Connection): void {
    const at = this.members.indexOf(connection);
    if (at >= 0) this.members.splice(at, 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One tick: an envelope per cohort. A tick still sealing when the next is due skips that one. */
  private async runTick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const tick = this.tick++;
    try {
      const { cohortSize } = this.settings;
      const members = this.members.filter((m) => m.isOpen);
      for (let i = 0; i < members.length; i += cohortSize) {
        await this.sendCohort(members.slice(i, i + cohortSize), tick);
        // Sealing is synchronous under its promises: let I/O in between cohorts, so that a
        // tick of thousands of members never stalls the node's other traffic in one piece.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  private async sendCohort(cohort: Connection[], tick: number): Promise<void> {
    // Each member's slot takes its connection's next envelope counter: from here on the member
    // is sent this envelope or closed, never skipped (the client closes on a gap).
    const slots = cohort.map((m) => m.takeSlot(cohortCapacity(this.settings)));
    const { slotBytes, slotCount } = envelopeShape(this.settings, slots.map((s) => s.bundle));
    let envelope: Uint8Array;
    try {
      envelope = await sealCohortEnvelope(
        nodeNoiseCrypto,
        { appId: this.appId, tick, salt: randomBytes(16), slotCount, slotBytes },
        cohort.map((m, k) => ({ secret: m.facts.sessionSecret, ...slots[k]! })),
        (n) => randomBytes(n),
      );
    } catch (err) {
      // Their bundles left the queues and their counters moved on: end these sessions, so that
      // they resume from the store rather than let a later cumulative ACK cover what was never sent.
      this.logger.error({ appId: this.appId, err: errorMessage(err) }, 'cohort envelope failed');
      for (const m of cohort) m.fail('ERR_INTERNAL');
      return;
    }
    for (const m of cohort) m.sendEnvelope(envelope);
  }
}
