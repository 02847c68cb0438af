/**
 * A client's ACKs on its current socket (docs/protocol.md, "ACK"; docs/receipts.md for signed
 * ones): what the socket delivered, what was acked on it, and the pending ACK's timer. Acks are
 * cumulative, so one ACK carries every message handed over before it.
 */
import { encodeAck, encodeSignedAck } from '../crypto/frames.js';
import { ackSignedBytes, encodeCoveredList, type AckKeyPair, type CoveredMessage } from '../crypto/ack-receipt.js';
import type { ClientCrypto, FrameSealerLike } from './platform.js';
import type { SocketLike } from './socket.js';

export interface AckSetup {
  readonly appId: string;
  readonly ackKey: AckKeyPair;
  readonly crypto: Pick<ClientCrypto, 'ack'>;
  /** Longest an ACK waits after the first un-acked hand-over; 0 acks each hand-over at once. */
  readonly ackDelayMs: number;
  /** Un-acked messages at which the ACK goes at once, without waiting for ackDelayMs. */
  readonly ackEvery: number;
}

/** What the ACKs need to know of the client, asked when an ACK is made. */
export interface AckedClient {
  readonly clientId: string;
  /** The highest seq handed over to the application. */
  readonly handedOverSeq: number;
  /** Sealing or sending an ACK failed on `socket`: close it. */
  fail(socket: SocketLike, err: unknown): void;
}

export class SocketAcks {
  private socket: SocketLike | null = null;
  private sealer: FrameSealerLike | null = null;
  /**
   * Highest seq the current socket delivered (fresh or a resend), and highest seq acked on
   * it. The server refuses an ACK above what it sent on that connection, so no ACK passes
   * socketSeq: a message held from an earlier socket is acked only once this one resent it.
   */
  private socketSeq = 0;
  private socketAckedSeq = 0;
  /**
   * True when the server took our ack key on this socket: every ACK is then signed over the
   * messages this socket delivered since the previous ACK (`socketUnsigned`, duplicates included).
   */
  private signing = false;
  private socketUnsigned: CoveredMessage[] = [];
  /** Cohort delivery: one ACK per envelope (`perEnvelope`), never on a timer. */
  private perEnvelopeOnly = false;
  /** Messages handed over since the last ACK, and the timer that sends the ACK anyway. */
  private unacked = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The ACKs being sealed and sent, in order. */
  sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly setup: AckSetup,
    private readonly client: AckedClient,
  ) {}

  /** A new socket: nothing delivered or acked on it yet, and nothing to seal with until `ready`. */
  newSocket(socket: SocketLike): void {
    this.socket = socket;
    this.sealer = null;
    this.socketSeq = 0;
    this.socketAckedSeq = 0;
    this.signing = false;
    this.socketUnsigned = [];
    this.perEnvelopeOnly = false;
  }

  /** The handshake finished: ACKs are sealed with `sealer`, signed when `signing`, one per envelope when `cohort`. */
  ready(sealer: FrameSealerLike, signing: boolean, cohort: boolean): void {
    this.sealer = sealer;
    this.signing = signing;
    this.perEnvelopeOnly = cohort;
  }

  /** The socket closed: forget the pending ACK (the next hello's lastSeq tells the server). */
  closed(): void {
    this.drop();
    this.sealer = null;
  }

  /** The current socket delivered `seq` (fresh or a resend). */
  delivered(seq: number, id: string): void {
    this.socketSeq = seq;
    if (this.signing) this.socketUnsigned.push({ seq, id });
  }

  /** `count` messages were handed to the application. */
  handedOver(count: number): void {
    this.unacked += count;
    this.soon();
  }

  /**
   * Cohort delivery: the ACK sent before an envelope is opened, so the client's frames follow
   * the tick, not the arrival of its own messages (the envelope's are acked at the next tick).
   */
  perEnvelope(): void {
    const fromSeq = this.socketAckedSeq;
    const seq = Math.max(this.ackableSeq(), fromSeq);
    this.socketAckedSeq = seq;
    this.send(fromSeq, seq);
  }

  /**
   * Sends the ACK now when acks are not delayed or ackEvery messages wait, else within
   * ackDelayMs of the first un-acked hand-over.
   */
  soon(): void {
    if (this.perEnvelopeOnly) return;
    if (this.ackableSeq() <= this.socketAckedSeq) return;
    if (this.setup.ackDelayMs === 0 || this.unacked >= this.setup.ackEvery) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.setup.ackDelayMs);
    // A pending ACK must not keep a Node process alive; browsers have no unref.
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  /** Sends the pending ACK, if any; true when one went. */
  flush(): boolean {
    this.drop();
    const seq = this.ackableSeq();
    const fromSeq = this.socketAckedSeq;
    if (seq <= fromSeq) return false;
    this.socketAckedSeq = seq;
    this.send(fromSeq, seq);
    return true;
  }

  private drop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unacked = 0;
  }

  /** The highest seq both handed over and delivered on the current socket. */
  private ackableSeq(): number {
    return Math.min(this.client.handedOverSeq, this.socketSeq);
  }

  /** `fromSeq`: the previous ACK's seq on this socket (0 for its first). */
  private send(fromSeq: number, seq: number): void {
    const socket = this.socket;
    const sealer = this.sealer;
    if (!socket || !sealer || socket.readyState !== 1) return; // resume tells the server instead
    // Taken now, in ACK order: what this ACK covers is fixed before anything else arrives.
    const covered = this.signing ? this.takeCovered(seq) : null;
    const statement = { appId: this.setup.appId, clientId: this.client.clientId, fromSeq, uptoSeq: seq };
    this.sending = this.sending
      .then(async () => {
        const plaintext = covered === null ? encodeAck(seq) : await this.signedAck(statement, covered);
        const frame = await sealer.seal(plaintext);
        if (socket.readyState === 1 && socket === this.socket) socket.send(frame);
      })
      .catch((err: unknown) => this.client.fail(socket, err));
  }

  /** The messages this socket delivered up to `seq` that no ACK covered yet, removed from the list. */
  private takeCovered(seq: number): CoveredMessage[] {
    let count = 0;
    while (count < this.socketUnsigned.length && this.socketUnsigned[count]!.seq <= seq) count++;
    return this.socketUnsigned.splice(0, count);
  }

  private async signedAck(statement: Parameters<typeof ackSignedBytes>[0], covered: readonly CoveredMessage[]): Promise<Uint8Array> {
    const digest = await this.setup.crypto.ack.sha256(encodeCoveredList(covered));
    const signature = await this.setup.ackKey.sign(ackSignedBytes(statement, digest));
    return encodeSignedAck(statement.uptoSeq, signature);
  }
}
