/**
 * A cohort connection's envelopes, on the client (docs/protocol.md section 7.1). Envelopes are not
 * transport frames: nothing seals them in sequence, so one dropped on the way would go unseen,
 * and the next envelope's messages would be handed over past the missing ones (and a
 * cumulative ACK would then cover what never arrived). So every slot carries its connection's
 * envelope counter, and this checks it: the first envelope of a connection must say 0 (a
 * client cannot know which tick its first envelope has), each later one the next number.
 *
 * Any failure is ERR_FRAME, as a transport frame that fails to open: the caller closes with the
 * SDK's transient code (4000) and resumes with its lastSeq, so the server resends what was
 * skipped. Like a Noise CipherState, the inbox is dead after one failure.
 */
import { SealPushError } from '../domain/errors.js';
import { openCohortEnvelope } from '../crypto/cohort.js';
import { decodeServerFrame, type ServerFrame } from '../crypto/frames.js';
import type { NoiseCrypto } from '../crypto/noise/primitives.js';

export class CohortInbox {
  /** The envelope counter the next envelope's slot must carry. */
  private expected = 0;
  private failed = false;

  constructor(
    private readonly crypto: NoiseCrypto,
    /** The session secret that opens this connection's slots. */
    private readonly secret: Uint8Array,
  ) {}

  /**
   * Opens this client's slot of the next envelope: its messages, or a heartbeat when the slot
   * is empty. Throws ERR_FRAME when the envelope has no slot for this connection (the server
   * sends a connection only envelopes that hold its slot), a slot that does not authenticate,
   * or a counter other than the next one: then nothing of that envelope is handed over.
   * ERR_PROTOCOL for a malformed envelope.
   */
  async open(envelope: Uint8Array): Promise<ServerFrame> {
    if (this.failed) throw frameError('an earlier envelope on this connection failed');
    this.failed = true;
    const slot = await openCohortEnvelope(this.crypto, this.secret, envelope);
    if (slot === null) throw frameError('a cohort envelope holds no slot for this connection');
    if (slot.counter !== this.expected) {
      throw frameError(`cohort envelope counter ${slot.counter}, expected ${this.expected}: envelopes were dropped, replayed or reordered`);
    }
    let frame: ServerFrame = { type: 'heartbeat' };
    if (slot.bundle.length > 0) {
      frame = decodeServerFrame(slot.bundle);
      if (frame.type !== 'deliver') throw new SealPushError('ERR_PROTOCOL', 'A cohort slot carries only messages');
    }
    this.expected++;
    this.failed = false;
    return frame;
  }
}

function frameError(detail: string): SealPushError {
  return new SealPushError('ERR_FRAME', detail);
}
