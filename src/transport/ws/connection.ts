import type { WebSocket } from 'ws';
import { SealPushError, isSealPushError, isTransientClose, type ErrorCode, errorMessage } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports/runtime.js';
import { NO_METRICS, type Metrics } from '../../domain/ports/metrics.js';
import type { DeliverableMessage, DeliverySettings } from '../../domain/types.js';
import { DeliveryStream, type DeliveryDeps, type DeliverySink } from '../../domain/usecases/delivery-stream.js';
import type { LiveConnection, SessionFacts } from '../../domain/usecases/live-clients.js';
import type { ClientCiphers } from '../../domain/usecases/client-ciphers.js';
import type { Sessions } from '../../domain/usecases/sessions.js';
import type { IdentityRing } from '../../domain/usecases/server-identity.js';
import { decodeClientFrame, encodeDeliver, encodeHeartbeat, encodeTicket } from '../../crypto/frames.js';
import { resumePsk } from '../../crypto/resume-hello.js';
import type { TicketSealer } from '../../crypto/node/ticket.js';
import type { CohortSlot } from '../../crypto/cohort.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import { FrameOpener, FrameSealer } from '../../crypto/node/frame-cipher.js';
import { authenticatedCloseReason } from '../../crypto/node/close-reason.js';
import type { WsLimits } from './limits.js';
import { answerHello, sessionFactsOf, type PendingChannel } from './opening.js';
import { SignedAcks } from './signed-acks.js';
import { CohortQueue } from './cohort-queue.js';

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
  /** Resumption tickets (docs/protocol.md section 2.6): one per opened session. Absent: tickets off. */
  readonly tickets?: TicketSealer;
  readonly logger: Logger;
  /** Told how each handshake ends (docs/metrics.md). Default: none. */
  readonly metrics?: Metrics;
  /** Called once the session opens; the connection is closed if it must not go on (a forgotten client). */
  readonly register: (connection: Connection) => void;
  readonly unregister: (connection: Connection) => void;
}

/**
 * How long a close sent to an unresponsive client (ERR_IDLE_TIMEOUT, ERR_SLOW_CONSUMER) may
 * take to be answered before its socket is destroyed: time for the close frame to get out on a
 * merely slow link, far less than ws's own 30 s wait.
 */
const UNRESPONSIVE_CLOSE_GRACE_MS = 1000;

/**
 * handshake: waiting for the hello. opening: reading it (read-only lookups). confirming: the
 * reply went out; waiting for the client's CONFIRM. committing: CONFIRM opened; the session is
 * being written. open: registered, delivering. Nothing changes state before committing.
 */
type State = 'handshake' | 'opening' | 'confirming' | 'committing' | 'open' | 'closed';

/**
 * One client's WebSocket: the Noise IK handshake and the client's key confirmation, then
 * sealed frames both ways: the sink its DeliveryStream writes to. Any frame that fails to
 * open (altered, replayed, reordered, truncated) closes the connection with ERR_FRAME;
 * nothing it carried takes effect.
 */
export class Connection implements DeliverySink, LiveConnection {
  private state: State = 'handshake';
  private sealer: FrameSealer | null = null;
  private opener: FrameOpener | null = null;
  /** Set once, when the session opens (confirm). */
  private session: SessionFacts | null = null;
  private delivering: DeliveryStream | null = null;
  private handshakeTimer: NodeJS.Timeout | null;
  private slowTimer: NodeJS.Timeout | null = null;
  /** Frames sent over the high-water mark whose write has not completed yet: slowTimer runs while there are any. */
  private framesOverHighWater = 0;
  /** When the client last showed it is alive (a pong or any message): idleTimeoutMs counts from it. */
  private lastHeardAt = performance.now();
  /** Whether anything was sent since the last heartbeat tick. */
  private sentSinceTick = false;
  /** Set when the client signs its ACKs (docs/receipts.md). */
  private signedAcks: SignedAcks | null = null;
  /** Set in cohort mode: what waits for the next envelope. Null: direct delivery, a frame per send. */
  private cohort: CohortQueue | null = null;
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
    socket.on('pong', () => (this.lastHeardAt = performance.now()));
    socket.on('close', () => this.shutdown());
    socket.on('error', (err) => deps.logger.debug({ err: err.message }, 'socket error'));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** What the session settled; read only once it opened (the registry holds open connections only). */
  get facts(): SessionFacts {
    if (this.session === null) throw new Error('the session is not open yet');
    return this.session;
  }

  get stream(): DeliveryStream {
    if (this.delivering === null) throw new Error('the session is not open yet');
    return this.delivering;
  }

  send(messages: readonly DeliverableMessage[]): void {
    if (this.cohort !== null) return this.cohort.push(messages);
    this.signedAcks?.recordSent(messages);
    this.write(encodeDeliver(messages));
  }

  writable(): boolean {
    if (this.state !== 'open' || this.socket.bufferedAmount >= this.deps.limits.sendHighWaterBytes) return false;
    return this.cohort === null || !this.cohort.full;
  }

  /** Cohort mode, at a tick: this connection's slot (cohort-queue.ts); the caller sends its envelope (sendEnvelope) or fails the connection. */
  takeSlot(capacity: number): CohortSlot {
    return this.cohort!.takeSlot(capacity);
  }

  /** Cohort mode: the envelope of this tick (the same bytes every member gets). */
  sendEnvelope(envelope: Uint8Array): void {
    if (this.state !== 'open') return;
    this.sendBytes(envelope);
    if (this.writable()) this.delivering?.drained();
  }

  heartbeat(): void {
    if (this.state !== 'open') return;
    // Checked on the gateway's heartbeat, so a silent client goes between idleTimeoutMs and
    // idleTimeoutMs + heartbeatMs after it was last heard.
    if (performance.now() - this.lastHeardAt > this.deps.limits.idleTimeoutMs) {
      this.fail('ERR_IDLE_TIMEOUT');
      return;
    }
    this.socket.ping();
    // In cohort mode the envelopes are the heartbeat: no transport frame ever goes out.
    if (!this.sentSinceTick && this.cohort === null) this.write(encodeHeartbeat());
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
    this.deps.logger.debug({ clientId: this.session?.clientId, code }, 'closing connection');
    if (this.state !== 'open') this.metrics.handshake(code);
    const reason = !isTransientClose(closeCode) && this.closeSecret ? authenticatedCloseReason(this.closeSecret, code) : code;
    this.shutdown();
    this.socket.close(closeCode, reason);
    // A peer that answers nothing or reads nothing will not answer the close either, and ws
    // would hold its socket (and the bytes buffered for it) for 30 s waiting for that answer.
    if (code === 'ERR_IDLE_TIMEOUT' || code === 'ERR_SLOW_CONSUMER') setTimeout(() => this.socket.terminate(), UNRESPONSIVE_CLOSE_GRACE_MS).unref();
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
    // Over the high-water mark: the stream pauses until this frame reaches the kernel. The
    // timer runs while any such frame is unsent: an earlier one's write completing is progress
    // (the time starts over), not the end of the wait, or a client that stopped reading with
    // two of them queued would never be closed.
    this.framesOverHighWater++;
    this.slowTimer ??= this.slowConsumerTimer();
    this.socket.send(frame, () => {
      if (this.state !== 'open') return;
      this.framesOverHighWater--;
      if (this.slowTimer) clearTimeout(this.slowTimer);
      this.slowTimer = this.framesOverHighWater > 0 ? this.slowConsumerTimer() : null;
      this.delivering?.drained();
    });
  }

  private slowConsumerTimer(): NodeJS.Timeout {
    return setTimeout(() => this.fail('ERR_SLOW_CONSUMER'), this.deps.limits.slowConsumerTimeoutMs);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastHeardAt = performance.now();
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
   * gateway (whose live clients may hold an older connection it replaces), and delivered to.
   */
  private async confirm(data: Buffer): Promise<void> {
    try {
      const frame = decodeClientFrame(this.opener!.open(data));
      if (frame.type !== 'confirm') throw new SealPushError('ERR_PROTOCOL', 'The first frame must be CONFIRM');
      const pending = this.pending!;
      this.pending = null;
      const session = await this.deps.sessions.confirm(pending.prepared, pending.lastSeq);
      if (this.state !== 'committing') return; // closed while we waited
      const facts = (this.session = sessionFactsOf(pending, session.client.id));
      this.signedAcks = session.ackKey ? new SignedAcks(session.ackKey, facts) : null;
      this.cohort = facts.delivery.mode === 'cohort' ? new CohortQueue(facts.delivery, this.signedAcks) : null;
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
      this.state = 'open';
      this.metrics.handshake('ok');
      const payloads = this.deps.ciphers.forClient(session.client);
      const stream = new DeliveryStream(facts.appId, facts.clientId, session.cursor, this, { ...this.deps.delivery, payloads }, !session.resumed);
      this.delivering = stream;
      this.deps.register(this);
      if (this.state !== 'open') return; // the gateway refused it (a forgotten client)
      // Tells the client its confirmation was taken (cohort delivery: the next envelope does).
      if (this.cohort === null) this.write(encodeHeartbeat());
      stream.start();
      void this.issueTicket(facts);
    } catch (err) {
      this.failWith(err, 'key confirmation failed unexpectedly');
    }
  }

  /**
   * A resumption ticket for the client's next connection, in a TICKET frame. Direct delivery
   * only: a cohort connection sends nothing but envelopes. A ticket that cannot be issued (the
   * key vault unreachable) costs the client one full handshake next time, nothing more.
   */
  private async issueTicket(facts: SessionFacts): Promise<void> {
    const tickets = this.deps.tickets;
    if (!tickets || this.cohort !== null) return;
    try {
      const psk = await resumePsk(this.deps.noise, facts.sessionSecret);
      const issued = await tickets.issue({ appId: facts.appId, clientId: facts.clientId, identityVersion: facts.identityVersion, psk });
      psk.fill(0);
      if (this.state === 'open') this.write(encodeTicket(issued.expiresAt, issued.ticket));
    } catch (err) {
      this.deps.logger.warn({ clientId: facts.clientId, err: errorMessage(err) }, 'no resumption ticket issued');
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
      if (frame.type === 'signed-ack') {
        if (!this.signedAcks) throw new SealPushError('ERR_PROTOCOL', 'SIGNED_ACK on a connection without an ack key');
        this.signedAcks.acked(frame.seq, frame.signature, this.delivering!);
      } else if (this.signedAcks) throw new SealPushError('ERR_PROTOCOL', 'This client registered an ack key: its ACKs must be signed');
      else this.delivering!.acked(frame.seq);
    } catch (err) {
      this.failWith(err, 'frame handling failed');
    }
  }

  private shutdown(): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.pending = null;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.handshakeTimer = this.slowTimer = null;
    this.delivering?.stop();
    this.cohort?.clear();
    this.signedAcks?.clear();
    if (wasOpen) {
      this.deps.unregister(this);
      this.deps.sessions.closed(this.session!.clientId);
    }
  }
}
