import { SealPushError } from '../../domain/errors.js';
import type { DeliverableMessage } from '../../domain/types.js';
import type { DeliveryStream } from '../../domain/usecases/delivery-stream.js';
import type { SessionFacts } from '../../domain/usecases/live-clients.js';
import { AckVerifier } from '../../crypto/node/ack-key.js';
import { sha256 } from '../../crypto/node/sha256.js';
import { ackSignedBytes, encodeCoveredList, type CoveredMessage } from '../../crypto/ack-receipt.js';

/**
 * Signed ACKs on one connection (docs/receipts.md): the client signs for exactly what reached
 * it on this connection, so the connection keeps the (seq, id) of what it put on the wire and
 * checks each ACK's signature against that list on arrival.
 */
export class SignedAcks {
  private readonly verifier: AckVerifier;
  /** What this connection put on the wire and no ACK covered yet, in seq order. */
  private unsignedFor: CoveredMessage[] = [];
  /** The previous ACK's seq on this connection (fromSeq of the next). */
  private lastAckSeq = 0;

  constructor(
    ackKey: Uint8Array,
    private readonly facts: Pick<SessionFacts, 'appId' | 'clientId'>,
  ) {
    this.verifier = new AckVerifier(ackKey);
  }

  recordSent(messages: readonly DeliverableMessage[]): void {
    for (const { seq, id } of messages) this.unsignedFor.push({ seq, id });
  }

  /**
   * Checks a signed ACK against what this connection delivered since the previous one, then
   * acks on `stream` with the receipt attached. A signature that does not verify throws
   * ERR_PROTOCOL (the connection closes) and changes nothing. An ACK that moves nothing (a
   * cohort client repeats its ACK every tick) is not checked: nothing depends on it.
   */
  acked(seq: number, signature: Uint8Array, stream: Pick<DeliveryStream, 'acked'>): void {
    const fromSeq = this.lastAckSeq;
    if (seq < fromSeq) throw new SealPushError('ERR_PROTOCOL', 'An ACK went below the previous one on this connection');
    if (seq === fromSeq) return;
    let count = 0;
    while (count < this.unsignedFor.length && this.unsignedFor[count]!.seq <= seq) count++;
    // Taken off at once: a signature that does not verify closes the connection, list and all.
    const messages = this.unsignedFor.splice(0, count);
    const statement = { appId: this.facts.appId, clientId: this.facts.clientId, fromSeq, uptoSeq: seq };
    if (!this.verifier.verify(ackSignedBytes(statement, sha256(encodeCoveredList(messages))), signature)) {
      throw new SealPushError('ERR_PROTOCOL', 'The ACK signature does not verify');
    }
    stream.acked(seq, { fromSeq, uptoSeq: seq, messages, signature });
    this.lastAckSeq = seq;
  }

  /** The connection closed: nothing more is signed for. */
  clear(): void {
    this.unsignedFor = [];
  }
}
