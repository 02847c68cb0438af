import type { WebSocket } from 'ws';
import { SealPushError, isSealPushError, isTransientClose, type ErrorCode, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports/runtime.js';
import { NO_METRICS, type Metrics } from '../../domain/ports/metrics.js';
import type { CohortSettings, DeliverableMessage, DeliverySettings } from '../../domain/types.js';
import { DeliveryStream, type DeliveryDeps, type DeliverySink } from '../../domain/usecases/delivery-stream.js';
import type { ClientCiphers } from '../../domain/usecases/client-ciphers.js';
import type { Sessions } from '../../domain/usecases/sessions.js';
import type { IdentityRing } from '../../domain/usecases/server-identity.js';
import { decodeClientFrame, deliverMessageSize, encodeDeliver, encodeHeartbeat, DELIVER_HEADER_BYTES } from '../../crypto/frames.js';
import { slotCapacity, type CohortSlot } from '../../crypto/cohort.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import { FrameOpener, FrameSealer } from '../../crypto/node/frame-cipher.js';
import { AckVerifier } from '../../crypto/node/ack-key.js';
import { sha256 } from '../../crypto/node/sha256.js';
import { ackSignedBytes, encodeCoveredList, type CoveredMessage } from '../../crypto/ack-receipt.js';
import { authenticatedCloseReason } from '../../crypto/node/close-reason.js';
import type { WsLimits } from './limits.js';
import { answerHello, type PendingChannel } from './opening.js';

export interface ConnectionDeps {
  readonly sessions: Sessions;
  readonly appExists: (appId: string) => Promise<boolean>;
  /** The app's delivery settings, read at each handshake (cached by the caller). */
  readonly deliveryOf: (appId: string) => Promise<DeliverySettings>;
  /** Whether the app's clients sign their ACKs (docs/receipts.md), read at each handshake (cached by the caller). */
  readonly receiptsOf: (appId: string) => Promise<boolean>;
  /** Everything a DeliveryStream needs but the client's cipher, which comes from `ciphers`. */
  readonly delivery: Omit<DeliveryDeps, 'payloads'>;
  readonly ciphers: ClientCiphers;
  readonly noise: NoiseCrypto;
  /** The server's identity keys: the current one, and older ones in their overlap. */
  readonly identities: { ring(): Promise<IdentityRing<KeyPair>> };
  readonly limits: WsLimits;
  readonly logger: Logger;
  /** Told how each handshake ends (docs/metrics.md). Default: none. */
  readonly metrics?: Metrics;
  /** Called once the handshake succeeds; returns false if the connection must not go on. */
  readonly register: (connection: Connection) => void;
  readonly unregister: (connection: Connection) => void;
}

/**
 * handshake: waiting for the hello. opening: reading it (read-only lookups). confirming: the
 * reply went out; waiting for the client's CONFIRM. committing: CONFIRM opened; the session is
 * being written. open: registered, delivering. Nothing changes state before committing.
 */
type State = 'handshake' | 'opening' | 'confirming' | 'committing' | 'open' | 'closed';

/**
 * One client's WebSocket: the Noise IK handshake and the client's key confirmation, then
 * sealed frames both ways. Any frame that fails to open (altered, replayed, reordered,
 * truncated) closes the connection with ERR_FRAME; nothing it carried takes effect.
 */
export class Connection implements DeliverySink {
  private state: State = 'handshake';
  private sealer: FrameSealer | null = null;
  private opener: FrameOpener | null = null;
  private stream: DeliveryStream | null = null;
  private handshakeTimer: NodeJS.Timeout | null;
  private slowTimer: NodeJS.Timeout | null = null;
  /** When the client last showed it is alive (a pong or any message): idleTimeoutMs counts from it. */
  private lastHeardAt = Date.now();
  /** Whether anything was sent since the last heartbeat tick. */
  sentSinceTick = false;
  clientId = '';
  appId = '';
  /** The settings this connection was opened with; a change closes it (the gateway decides). */
  delivery: DeliverySettings = { mode: 'direct' };
  /** `delivery` as JSON, computed once: what the gateway compares and groups cohorts by. */
  deliveryKey = '{"mode":"direct"}';
  /** The app's receipts setting this connection was opened with; a change closes it (the gateway decides). */
  receipts = false;
  /**
   * Set when the client reached us with an identity key a rotation replaced: when that key
   * stops being accepted. The gateway then closes the connection (1001) and the client
   * reconnects with the new key it was told in the handshake.
   */
  identityNotAfter: number | null = null;
  /** The identity version the handshake used. */
  identityVersion = 0;
  /** When the gateway will close this connection to move it to the current identity (null: not decided). */
  identityMoveAt: number | null = null;
  /** The session's cohort secret (docs/protocol.md section 7); set once open. */
  sessionSecret: Uint8Array | null = null;
  /** Cohort mode: messages the stream has handed over, waiting for the next envelope. */
  private cohortQueue: DeliverableMessage[] = [];
  private cohortQueueBytes = 0;
  /** Cohort mode: the envelope counter of this connection's next slot (docs/protocol.md section 7). */
  private envelopeCounter = 0;
  /** Set when the client signs its ACKs (docs/receipts.md): checks each one on arrival. */
  private ackVerifier: AckVerifier | null = null;
  /** Signed ACKs: what this connection put on the wire and no ACK covered yet, in seq order. */
  private unsignedFor: CoveredMessage[] = [];
  /** Signed ACKs: the previous ACK's seq on this connection (fromSeq of the next). */
  private lastAckSeq = 0;
  private readonly metrics: Metrics;
  /** From the reply on: the session's secret, which authenticates our permanent close codes. */
  private closeSecret: Uint8Array | null = null;
  /** Between the reply and the client's CONFIRM. */
  private pending: PendingChannel | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    this.metrics = deps.metrics ?? NO_METRICS;
    socket.binaryType = 'nodebuffer';
    this.handshakeTimer = setTimeout(() => this.fail('ERR_HANDSHAKE_TIMEOUT'), deps.limits.handshakeTimeoutMs);
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', () => (this.lastHeardAt = Date.now()));
    socket.on('close', () => this.onClose());
    socket.on('error', (err) => deps.logger.debug({ err: err.message }, 'socket error'));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Newly committed messages for this client (from live delivery). */
  offer(messages: readonly DeliverableMessage[]): void {
    this.stream?.offer(messages);
  }

  /** The store has assigned this client seqs up to `lastSeq` (the gateway's periodic catch-up). */
  recheck(lastSeq: number): void {
    this.stream?.recheck(lastSeq);
  }

  send(messages: readonly DeliverableMessage[]): void {
    if (this.delivery.mode === 'direct') {
      this.recordSent(messages);
      return this.write(encodeDeliver(messages));
    }
    for (const message of messages) {
      this.cohortQueue.push(message);
      this.cohortQueueBytes += deliverMessageSize(message);
    }
  }

  writable(): boolean {
    if (this.state !== 'open' || this.socket.bufferedAmount >= this.deps.limits.sendHighWaterBytes) return false;
    // Cohort mode: at most one largest slot's worth waits for the next tick; the rest stays in the store.
    return this.delivery.mode === 'direct' || this.cohortQueueBytes < cohortCapacity(this.delivery);
  }

  /**
   * Cohort mode, at a tick: this connection's slot, with its next envelope counter and the
   * DELIVER plaintext of the queued messages that fit `capacity` bytes (in seq order), or an
   * empty bundle. A single message always fits the largest slot (delivery-settings.ts), so the
   * queue never stalls. The caller sends the envelope holding the slot (sendEnvelope) or fails
   * the connection: the client closes on any gap in the counters it receives.
   */
  takeSlot(capacity: number): CohortSlot {
    const counter = this.envelopeCounter++;
    return { counter, bundle: this.takeBundle(capacity) };
  }

  private takeBundle(capacity: number): Uint8Array {
    let size = DELIVER_HEADER_BYTES;
    let count = 0;
    for (const message of this.cohortQueue) {
      const next = deliverMessageSize(message);
      if (size + next > capacity) break;
      size += next;
      count++;
    }
    if (count === 0) return new Uint8Array(0);
    this.cohortQueueBytes -= size - DELIVER_HEADER_BYTES;
    const bundle = this.cohortQueue.splice(0, count);
    this.recordSent(bundle);
    return encodeDeliver(bundle);
  }

  /** Signed ACKs: the client signs for exactly what reached it on this connection. */
  private recordSent(messages: readonly DeliverableMessage[]): void {
    if (this.ackVerifier === null) return;
    for (const { seq, id } of messages) this.unsignedFor.push({ seq, id });
  }

  /** Cohort mode: the envelope of this tick (the same bytes every member gets). */
  sendEnvelope(envelope: Uint8Array): void {
    if (this.state !== 'open') return;
    this.sendBytes(envelope);
    if (this.writable()) this.stream?.drained();
  }

  heartbeat(): void {
    if (this.state !== 'open') return;
    // Checked on the gateway's heartbeat, so a silent client goes between idleTimeoutMs and
    // idleTimeoutMs + heartbeatMs after it was last heard.
    if (Date.now() - this.lastHeardAt > this.deps.limits.idleTimeoutMs) {
      this.fail('ERR_IDLE_TIMEOUT');
      return;
    }
    this.socket.ping();
    // In cohort mode the envelopes are the heartbeat: no transport frame ever goes out.
    if (!this.sentSinceTick && this.delivery.mode === 'direct') this.write(encodeHeartbeat());
    this.sentSinceTick = false;
  }

  /**
   * Closes with the catalogue's close code; the reason carries the error code, and once there
   * is a session, a permanent code's token (crypto/close-reason.ts): the SDK stops for good only
   * on a close it can authenticate.
   */
  fail(code: ErrorCode): void {
    if (this.state === 'closed') return;
    const closeCode = new SealPushError(code).closeCode;
    this.deps.logger.debug({ clientId: this.clientId || undefined, code }, 'closing connection');
    if (this.state !== 'open') this.metrics.handshake(code);
    const reason = !isTransientClose(closeCode) && this.closeSecret ? authenticatedCloseReason(this.closeSecret, code) : code;
    this.shutdown();
    this.socket.close(closeCode, reason);
  }

  /** Server shutdown: clients reconnect (elsewhere, or here after restart) and resume. */
  goAway(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'open') this.metrics.handshake('ERR_UNAVAILABLE');
    this.shutdown();
    this.socket.close(1001, 'ERR_UNAVAILABLE');
  }

  private write(plaintext: Uint8Array): void {
    this.sendBytes(this.sealer!.seal(plaintext));
  }

  /**
   * Sends one WebSocket message. Over the high-water mark the stream pauses until it reaches
   * the kernel, and a client that does not drain within slowConsumerTimeoutMs is closed: a
   * cohort member gets an envelope every tick whatever it reads, so this bounds its buffer too.
   */
  private sendBytes(frame: Uint8Array): void {
    this.sentSinceTick = true;
    const full = this.socket.bufferedAmount + frame.length >= this.deps.limits.sendHighWaterBytes;
    if (!full) {
      this.socket.send(frame);
      return;
    }
    // Over the high-water mark: the stream pauses until this frame reaches the kernel.
    this.slowTimer ??= setTimeout(() => this.fail('ERR_SLOW_CONSUMER'), this.deps.limits.slowConsumerTimeoutMs);
    this.socket.send(frame, () => {
      if (this.state !== 'open') return;
      if (this.slowTimer) clearTimeout(this.slowTimer);
      this.slowTimer = null;
      this.stream?.drained();
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastHeardAt = Date.now();
    if (!isBinary) return this.fail('ERR_PROTOCOL');
    if (this.state === 'handshake') {
      this.state = 'opening';
      void this.handshake(data);
    } else if (this.state === 'open') {
      this.onFrame(data);
    } else if (this.state === 'confirming') {
      this.state = 'committing';
      void this.confirm(data);
    } else if (this.state !== 'closed') {
      // The client must wait for the server's handshake reply before sending frames, and
      // after its CONFIRM for the server's first frame.
      this.fail('ERR_PROTOCOL');
    }
  }

  /** Reads the hello and answers it; writes nothing (opening.ts). */
  private async handshake(hello: Buffer): Promise<void> {
    try {
      const answer = await answerHello(hello, this.deps);
      if (this.state !== 'opening') return; // closed while we waited
      this.socket.send(answer.reply);
      if ('refused' in answer) return this.fail(answer.refused); // message 2 said why, authenticated
      const { keys } = answer.channel;
      this.pending = answer.channel;
      this.closeSecret = keys.sessionSecret;
      this.sealer = new FrameSealer(keys.sendKey);
      this.opener = new FrameOpener(keys.receiveKey);
      this.state = 'confirming';
    } catch (err) {
      this.failWith(err, 'handshake failed unexpectedly');
    }
  }

  /**
   * The client's first frame must be CONFIRM, which only the holder of its keys can seal: only
   * now is the session written (a new client, its keys, the hello's ack), registered with the
   * gateway (which may replace an older connection), and delivered to.
   */
  private async confirm(data: Buffer): Promise<void> {
    try {
      const frame = decodeClientFrame(this.opener!.open(data));
      if (frame.type !== 'confirm') throw new SealPushError('ERR_PROTOCOL', 'The first frame must be CONFIRM');
      const pending = this.pending!;
      this.pending = null;
      const session = await this.deps.sessions.confirm(pending.prepared, pending.lastSeq);
      if (this.state !== 'committing') return; // closed while we waited
      this.clientId = session.client.id;
      this.appId = pending.prepared.appId;
      this.delivery = pending.delivery;
      this.deliveryKey = JSON.stringify(pending.delivery);
      this.receipts = pending.receipts;
      this.sessionSecret = pending.keys.sessionSecret;
      this.ackVerifier = session.ackKey ? new AckVerifier(session.ackKey) : null;
      this.identityNotAfter = pending.identityNotAfter;
      this.identityVersion = pending.identityVersion;
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
      this.state = 'open';
      this.metrics.handshake('ok');
      const payloads = this.deps.ciphers.forClient(session.client);
      this.stream = new DeliveryStream(this.appId, this.clientId, session.cursor, this, { ...this.deps.delivery, payloads }, !session.resumed);
      this.deps.register(this);
      if (this.state !== 'open') return; // the gateway refused it (a forgotten client)
      // Tells the client its confirmation was taken (cohort delivery: the next envelope does).
      if (this.delivery.mode === 'direct') this.write(encodeHeartbeat());
      this.stream.start();
    } catch (err) {
      this.failWith(err, 'key confirmation failed unexpectedly');
    }
  }

  /** A catalogue error closes with its code; anything else is ours (ERR_INTERNAL), and logged. */
  private failWith(err: unknown, what: string): void {
    if (isSealPushError(err)) return this.fail(err.code);
    this.deps.logger.error({ err: errorMessage(err) }, what);
    this.fail('ERR_INTERNAL');
  }

  private onFrame(data: Buffer): void {
    try {
      const frame = decodeClientFrame(this.opener!.open(data));
      if (frame.type === 'confirm') throw new SealPushError('ERR_PROTOCOL', 'CONFIRM is the first frame only');
      if (frame.type === 'signed-ack') this.signedAck(frame.seq, frame.signature);
      else if (this.ackVerifier) throw new SealPushError('ERR_PROTOCOL', 'This client registered an ack key: its ACKs must be signed');
      else this.stream!.acked(frame.seq);
    } catch (err) {
      this.failWith(err, 'frame handling failed');
    }
  }

  /**
   * Checks a signed ACK against what this connection delivered since the previous one, then
   * acks with the receipt attached. A signature that does not verify closes the connection
   * (ERR_PROTOCOL) and changes nothing. An ACK that moves nothing (a cohort client repeats
   * its ACK every tick) is not checked: nothing depends on it.
   */
  private signedAck(seq: number, signature: Uint8Array): void {
    const verifier = this.ackVerifier;
    if (!verifier) throw new SealPushError('ERR_PROTOCOL', 'SIGNED_ACK on a connection without an ack key');
    const fromSeq = this.lastAckSeq;
    if (seq < fromSeq) throw new SealPushError('ERR_PROTOCOL', 'An ACK went below the previous one on this connection');
    if (seq === fromSeq) return;
    let count = 0;
    while (count < this.unsignedFor.length && this.unsignedFor[count]!.seq <= seq) count++;
    // Taken off at once: a signature that does not verify closes the connection, list and all.
    const messages = this.unsignedFor.splice(0, count);
    const statement = { appId: this.appId, clientId: this.clientId, fromSeq, uptoSeq: seq };
    if (!verifier.verify(ackSignedBytes(statement, sha256(encodeCoveredList(messages))), signature)) {
      throw new SealPushError('ERR_PROTOCOL', 'The ACK signature does not verify');
    }
    this.stream!.acked(seq, { fromSeq, uptoSeq: seq, messages, signature });
    this.lastAckSeq = seq;
  }

  private shutdown(): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.pending = null;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.handshakeTimer = this.slowTimer = null;
    this.stream?.stop();
    this.cohortQueue = [];
    this.cohortQueueBytes = 0;
    this.unsignedFor = [];
    if (wasOpen) {
      this.deps.unregister(this);
      this.deps.sessions.closed(this.clientId);
    }
  }

  private onClose(): void {
    this.shutdown();
  }
}

/** The bundle the largest slot of `settings` holds. */
export function cohortCapacity(settings: CohortSettings): number {
  return slotCapacity(settings.slotBytes[settings.slotBytes.length - 1]!);
}
