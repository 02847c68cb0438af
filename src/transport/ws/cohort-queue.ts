import type { CohortSettings, DeliverableMessage } from '../../domain/types.js';
import { deliverMessageSize, encodeDeliver, DELIVER_HEADER_BYTES } from '../../crypto/frames.js';
import { slotCapacity, type CohortSlot } from '../../crypto/cohort.js';
import type { SignedAcks } from './signed-acks.js';

/** The bundle the largest slot of `settings` holds. */
export function cohortCapacity(settings: CohortSettings): number {
  return slotCapacity(settings.slotBytes[settings.slotBytes.length - 1]!);
}

/**
 * Cohort delivery on one connection (docs/protocol.md section 7): what its stream handed over,
 * waiting for the next envelope, and the envelope counter of its next slot.
 */
export class CohortQueue {
  private messages: DeliverableMessage[] = [];
  private bytes = 0;
  private envelopeCounter = 0;
  /** At most one largest slot's worth waits for the next tick; the rest stays in the store. */
  private readonly capacity: number;

  constructor(
    settings: CohortSettings,
    /** Told of what each slot carries, when the client signs its ACKs. */
    private readonly signedAcks: SignedAcks | null,
  ) {
    this.capacity = cohortCapacity(settings);
  }

  push(messages: readonly DeliverableMessage[]): void {
    for (const message of messages) {
      this.messages.push(message);
      this.bytes += deliverMessageSize(message);
    }
  }

  /** Whether one largest slot's worth waits already. */
  get full(): boolean {
    return this.bytes >= this.capacity;
  }

  /**
   * At a tick: this connection's slot, with its next envelope counter and the DELIVER
   * plaintext of the queued messages that fit `capacity` bytes (in seq order), or an empty
   * bundle. A single message always fits the largest slot (delivery-settings.ts), so the
   * queue never stalls. The caller sends the envelope holding the slot or fails the
   * connection: the client closes on any gap in the counters it receives.
   */
  takeSlot(capacity: number): CohortSlot {
    const counter = this.envelopeCounter++;
    return { counter, bundle: this.takeBundle(capacity) };
  }

  /** The connection closed: nothing waits any more. */
  clear(): void {
    this.messages = [];
    this.bytes = 0;
  }

  private takeBundle(capacity: number): Uint8Array {
    let size = DELIVER_HEADER_BYTES;
    let count = 0;
    for (const message of this.messages) {
      const next = deliverMessageSize(message);
      if (size + next > capacity) break;
      size += next;
      count++;
    }
    if (count === 0) return new Uint8Array(0);
    this.bytes -= size - DELIVER_HEADER_BYTES;
    const bundle = this.messages.splice(0, count);
    this.signedAcks?.recordSent(bundle);
    return encodeDeliver(bundle);
  }
}
