import type { WebSocket } from 'ws';
import { SealPushError, isSealPushError, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { DeliverableMessage } from '../../domain/types.js';
import { DeliveryStream, type DeliveryDeps, type DeliverySink } from '../../domain/usecases/delivery-stream.js';
import type { Sessions } from '../../domain/usecases/sessions.js';
import { decodeClientFrame, encodeDeliver, encodeHeartbeat } from '../../crypto/frames.js';
import { acceptHello } from '../../crypto/hello.js';
import type { KeyPair, NoiseCrypto } from '../../crypto/noise/primitives.js';
import { FrameOpener, FrameSealer } from '../../crypto/node/frame-cipher.js';
import type { WsLimits } from './limits.js';

export interface ConnectionDeps {
  readonly sessions: Sessions;
  readonly appExists: (appId: string) => Promise<boolean>;
  readonly delivery: DeliveryDeps;
  readonly noise: NoiseCrypto;
  readonly serverStatic: KeyPair;
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
  /** Set by the gateway's heartbeat; cleared by each pong. */
  awaitingPong = false;
  /** Whether anything was sent since the last heartbeat tick. */
  sentSinceTick = false;
  clientId = '';
  appId = '';

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    socket.binaryType = 'nodebuffer';
    this.handshakeTimer = setTimeout(() => this.fail('ERR_HANDSHAKE_TIMEOUT'), deps.limits.handshakeTimeoutMs);
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', () => (this.awaitingPong = false));
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
    this.write(encodeDeliver(messages));
  }

  writable(): boolean {
    return this.state === 'open' && this.socket.bufferedAmount < this.deps.limits.sendHighWaterBytes;
  }

  heartbeat(): void {
    if (this.state !== 'open') return;
    if (this.awaitingPong) {
      this.fail('ERR_IDLE_TIMEOUT');
      return;
    }
    this.awaitingPong = true;
    this.socket.ping();
    if (!this.sentSinceTick) this.write(encodeHeartbeat());
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
    const frame = this.sealer!.seal(plaintext);
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
    const { sessions, appExists, noise, serverStatic, limits } = this.deps;
    try {
      const pending = await acceptHello(hello, { staticKey: serverStatic, crypto: noise });
      if (!(await appExists(pending.appId))) throw new SealPushError('ERR_NOT_FOUND', 'No such app');
      const session = await sessions.open(pending.appId, pending.clientStaticKey, pending.payload.lastSeq);
      if (this.state !== 'opening') return; // closed while we waited
      const done = await pending.accept({
        clientId: session.client.id,
        resumed: session.resumed,
        heartbeatMs: limits.heartbeatMs,
        maxFrameBytes: limits.maxFrameBytes,
      });
      if (this.state !== 'opening') return;
      this.clientId = session.client.id;
      this.appId = pending.appId;
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
    if (wasOpen) {
      this.deps.unregister(this);
      this.deps.sessions.closed(this.clientId);
    }
  }

  private onClose(): void {
    this.shutdown();
  }
}
