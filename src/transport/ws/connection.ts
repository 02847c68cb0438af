import type { WebSocket } from 'ws';
import { SealPushError, isSealPushError, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { CohortSettings, DeliverableMessage, DeliverySettings } from '../../domain/types.js';
import { DeliveryStream, type DeliveryDeps, type DeliverySink } from '../../domain/usecases/delivery-stream.js';
import type { Sessions } from '../../domain/usecases/sessions.js';
import type { IdentityRing } from '../../domain/usecases/server-identity.js';
import { base64urlEncode } from '../../crypto/encoding.js';
import { decodeClientFrame, deliverMessageSize, encodeDeliver, encodeHeartbeat, DELIVER_HEADER_BYTES } from '../../crypto/frames.js';
import { slotCapacity } from '../../crypto/cohort.js';
import { acceptHello } from '../../crypto/hello.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import { FrameOpener, FrameSealer } from '../../crypto/node/frame-cipher.js';
import type { WsLimits } from './limits.js';

export interface ConnectionDeps {
  readonly sessions: Sessions;
  readonly appExists: (appId: string) => Promise<boolean>;
  /** The app's delivery settings, read at each handshake (cached by the caller). */
  readonly deliveryOf: (appId: string) => Promise<DeliverySettings>;
  readonly delivery: DeliveryDeps;
  readonly noise: NoiseCrypto;
  /** The server's identity keys: the current one, and older ones in their overlap. */
  readonly identities: { ring(): Promise<IdentityRing<KeyPair>> };
  readonly limits: WsLimits;
  readonly logger: Logger;
  /** Called once the handshake succeeds; returns false if the connection must not go on. */
  readonly register: (connection: Connection) => void;
  readonly unregister: (connection: Connection) => void;
}

type State = 'handshake' | 'opening' | 'open' | 'closed';

/**
 * One client's WebSocket: the Noise IK handshake, then sealed frames both ways. Any frame
 * that fails to open (altered, replayed, reordered, truncated) closes the connection with
 * ERR_FRAME; nothing it carried takes effect.
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

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
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

  send(messages: readonly DeliverableMessage[]): void {
    if (this.delivery.mode === 'direct') return this.write(encodeDeliver(messages));
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
   * Cohort mode, at a tick: the DELIVER plaintext of the queued messages that fit
   * `capacity` bytes (in seq order), or an empty bundle. A single message always fits the
   * largest slot (delivery-settings.ts), so the queue never stalls.
   */
  takeBundle(capacity: number): Uint8Array {
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
    return encodeDeliver(this.cohortQueue.splice(0, count));
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

  /** Closes with the catalogue's close code; the reason carries the error code. */
  fail(code: ErrorCode): void {
    if (this.state === 'closed') return;
    const closeCode = new SealPushError(code).closeCode;
    this.deps.logger.debug({ clientId: this.clientId || undefined, code }, 'closing connection');
    this.shutdown();
    this.socket.close(closeCode, code);
  }

  /** Server shutdown: clients reconnect (elsewhere, or here after restart) and resume. */
  goAway(): void {
    if (this.state === 'closed') return;
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
    } else if (this.state === 'opening') {
      // The client must wait for the server's handshake reply before sending frames.
      this.fail('ERR_PROTOCOL');
    }
  }

  private async handshake(hello: Buffer): Promise<void> {
    const { sessions, appExists, deliveryOf, noise, identities, limits } = this.deps;
    try {
      const ring = await identities.ring();
      const pending = await acceptHello(hello, { staticKey: ring.current.key, previousKeys: ring.previous.map((v) => v.key), crypto: noise });
      const oldKey = pending.keyIndex === 0 ? undefined : ring.previous[pending.keyIndex - 1];
      if (!(await appExists(pending.appId))) throw new SealPushError('ERR_NOT_FOUND', 'No such app');
      const delivery = await deliveryOf(pending.appId);
      const session = await sessions.open(pending.appId, pending.clientStaticKey, pending.payload.lastSeq);
      if (this.state !== 'opening') return; // closed while we waited
      const done = await pending.accept({
        clientId: session.client.id,
        resumed: session.resumed,
        // A cohort client hears from the server once per tick: its watchdog must allow that.
        heartbeatMs: delivery.mode === 'cohort' ? Math.max(limits.heartbeatMs, delivery.tickMs) : limits.heartbeatMs,
        maxFrameBytes: limits.maxFrameBytes,
        ...(delivery.mode === 'cohort' ? { cohortTickMs: delivery.tickMs } : {}),
        ...(oldKey ? { nextServerKey: base64urlEncode(ring.current.publicKey), nextServerKeyUntil: oldKey.notAfter! } : {}),
      });
      if (this.state !== 'opening') return;
      this.clientId = session.client.id;
      this.appId = pending.appId;
      this.delivery = delivery;
      this.deliveryKey = JSON.stringify(delivery);
      this.sessionSecret = done.sessionSecret;
      this.identityNotAfter = oldKey?.notAfter ?? null;
      this.identityVersion = (oldKey ?? ring.current).version;
      this.sealer = new FrameSealer(done.sendKey);
      this.opener = new FrameOpener(done.receiveKey);
      this.socket.send(done.reply);
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
      this.state = 'open';
      this.stream = new DeliveryStream(this.appId, this.clientId, session.cursor, this, this.deps.delivery, !session.resumed);
      this.deps.register(this);
      this.stream.start();
    } catch (err) {
      if (isSealPushError(err)) return this.fail(err.code);
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'handshake failed unexpectedly');
      this.fail('ERR_INTERNAL');
    }
  }

  private onFrame(data: Buffer): void {
    try {
      const frame = decodeClientFrame(this.opener!.open(data));
      this.stream!.acked(frame.seq);
    } catch (err) {
      if (isSealPushError(err)) return this.fail(err.code);
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'frame handling failed');
      this.fail('ERR_INTERNAL');
    }
  }

  private shutdown(): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.slowTimer) clearTimeout(this.slowTimer);
    this.handshakeTimer = this.slowTimer = null;
    this.stream?.stop();
    this.cohortQueue = [];
    this.cohortQueueBytes = 0;
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
