import { SealPushError, type ErrorCode } from '../domain/errors.js';
import { base64urlEncode } from '../crypto/encoding.js';
import { decodeServerFrame } from '../crypto/frames.js';
import type { AckKeyPair } from '../crypto/ack-receipt.js';
import { HandshakeRefusal, type StartedHello } from '../crypto/hello.js';
import type { KeyPair } from '../crypto/noise/primitives.js';
import type { ClientCrypto, FrameOpenerLike } from './platform.js';
import type { ReconnectOptions } from './backoff.js';
import { CohortInbox } from './cohort-inbox.js';
import { Emitter } from './emitter.js';
import type { SavedSession } from './session.js';
import type { SocketLike } from './socket.js';
import { needsUnwrap, parseDeliveredData, unwrapData, type InboundKeys } from './inbound.js';
import { confirmChannel, startClientHello } from './handshake.js';
import { judgeClose } from './close-policy.js';
import { connectionError, type SealPushConnectionError } from './connection-error.js';
import { SocketAcks } from './acks.js';
import { HeartbeatWatchdog } from './heartbeat.js';
import { RetrySchedule } from './retry.js';
import { PinnedKeys } from './pinned-keys.js';
import { ResumeTicket } from './resume-ticket.js';
import type { WakeSignals } from './wake.js';
import type { ClientEvents, Inbound } from './events.js';

export type { ClientEvents, Message } from './events.js';

export interface ClientSetup {
  readonly wsUrl: string;
  readonly appId: string;
  /** Pinned server keys (32 bytes each), tried in this order until one handshake succeeds. */
  readonly serverKeys: readonly Uint8Array[];
  readonly staticKey: KeyPair;
  /** Signs this client's ACKs when the server registered its public half (docs/receipts.md). */
  readonly ackKey: AckKeyPair;
  readonly ackFingerprint: string;
  /** Relay-blind mode: the HPKE key pair (a second X25519 key, never the static one) and the pinned publisher key. */
  readonly inbound: InboundKeys;
  readonly clientId: string;
  readonly lastSeq: number;
  /** A server key announced earlier (kept in the saved session), or null. */
  readonly announcedKey: string | null;
  /** The resumption ticket (saved session and `resume` option): spent by the next hello, renewed by each session. */
  readonly ticket: ResumeTicket;
  readonly openSocket: (url: string) => SocketLike;
  readonly reconnect: ReconnectOptions | false;
  /** Where the client hears that retrying at once is worth it (wake.ts). */
  readonly wake: WakeSignals;
  readonly handshakeTimeoutMs: number;
  /** Noise and frame ciphers: WebCrypto and @noble/ciphers in browsers, node:crypto and sodium-native in the Node entry. */
  readonly crypto: ClientCrypto;
  /** Longest an ACK waits after the first un-acked hand-over; 0 acks each hand-over at once. */
  readonly ackDelayMs: number;
  /** Un-acked messages at which the ACK goes at once, without waiting for ackDelayMs. */
  readonly ackEvery: number;
}

/**
 * One client's secure channel: handshake, decryption in order, exactly-once hand-over to
 * the application, acks, heartbeat watchdog, and reconnection with backoff. Messages that
 * arrive before a 'message' listener exists are held for the first one.
 */
export class SealPushClient extends Emitter<ClientEvents> {
  clientId: string;
  private lastSeq: number;
  /** Highest seq received on any connection of this instance (held or handed over). */
  private receivedUpTo: number;
  private held: Inbound[] = [];
  private socket: SocketLike | null = null;
  private readonly acks: SocketAcks;
  /** Set when the server delivers in cohort envelopes: opens our slots and checks their counters. */
  private cohort: CohortInbox | null = null;
  private opener: FrameOpenerLike | null = null;
  /** The server's heartbeat interval, from its handshake payload. */
  private heartbeatMs = 25_000;
  /** Why this side closed the socket, when it did; the server's authenticated refusal; the session's secret. */
  private lastLocalError: ErrorCode | null = null;
  private refused: ErrorCode | null = null;
  private sessionSecret: Uint8Array | null = null;
  /** Set from our CONFIRM until the server's first frame, which tells us it took the confirmation. */
  private opening: ClientEvents['connected'] | null = null;
  private inbound: Promise<void> = Promise.resolve();
  private readonly watchdog = new HeartbeatWatchdog();
  /** Reconnection, unless turned off (`reconnect: false`). */
  private readonly retry: RetrySchedule | null;
  private closedByUser = false;
  private readonly pinned: PinnedKeys;
  /** The key the current attempt pinned: a connection error names its fingerprint. */
  private attemptKey: Uint8Array;
  /** An announcement made before anyone listened to `serverkey`: told to the first listener. */
  private pendingAnnouncement: ClientEvents['serverkey'] | null = null;
  private firstConnect: { resolve(): void; reject(err: SealPushError): void } | null = null;
  /** The current socket's hello presented a ticket; `opened` once its session is up. */
  private attempt = { resumed: false, opened: false };

  constructor(private readonly setup: ClientSetup) {
    super();
    this.clientId = setup.clientId;
    this.lastSeq = setup.lastSeq;
    this.receivedUpTo = setup.lastSeq;
    this.pinned = new PinnedKeys(setup.serverKeys, setup.announcedKey);
    this.attemptKey = this.pinned.current;
    const reopen = () => {
      if (!this.closedByUser) this.open();
    };
    this.retry = setup.reconnect === false ? null : new RetrySchedule(setup.reconnect, setup.wake, reopen);
    const client = this;
    this.acks = new SocketAcks(setup, {
      get clientId() {
        return client.clientId;
      },
      get handedOverSeq() {
        return client.lastSeq;
      },
      fail: (socket, err) => this.abort(socket, err),
    });
  }

  /** Resolves once the first secure session is up; rejects if the first attempt fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.open();
    });
  }

  /**
   * This client's HPKE public key (base64url of 32 bytes), as it sends it in its hello. A
   * publisher that does not trust sealpush to serve it gets it from the application and pins it.
   */
  get hpkePublicKey(): string {
    return base64urlEncode(this.setup.inbound.hpke.publicKey);
  }

  session(): SavedSession {
    return {
      v: 1,
      appId: this.setup.appId,
      clientId: this.clientId,
      staticKey: base64urlEncode(this.setup.staticKey.privateKey),
      lastSeq: this.lastSeq,
      ackKey: base64urlEncode(this.setup.ackKey.seed),
      hpkeKey: base64urlEncode(this.setup.inbound.hpke.privateKey),
      ...(this.pinned.announced === null ? {} : { serverKey: this.pinned.announced }),
      ...(this.setup.ticket.saved === undefined ? {} : { ticket: this.setup.ticket.saved }),
    };
  }

  /**
   * The public key (base64url, 32 bytes) that checks this client's receipts. Hand it to your
   * application yourself (with `ackKeyFingerprint`), so that whoever checks a receipt later
   * need not take sealpush's word for the key.
   */
  get ackKey(): string {
    return base64urlEncode(this.setup.ackKey.publicKey);
  }

  /** 16 characters that name `ackKey` (base64url of SHA-256("sealpush-ack-key-v1" || key)). */
  get ackKeyFingerprint(): string {
    return this.setup.ackFingerprint;
  }

  /** The server key (base64url) this client's next handshake pins: the one that last succeeded, or an announced successor. */
  get serverKey(): string {
    return base64urlEncode(this.pinned.current);
  }

  /** Closes for good: no reconnection. Sends the pending ACK first, so nothing handed over stays un-acked. */
  async close(): Promise<void> {
    this.closedByUser = true;
    this.retry?.stop();
    this.watchdog.stop();
    const socket = this.socket;
    if (!socket || socket.readyState === 3) return;
    // Messages may still arrive while an ACK is being sealed: repeat until none is due.
    while (socket === this.socket && socket.readyState === 1 && this.acks.flush()) await this.acks.sending;
    if (socket.readyState === 3) return;
    return new Promise((resolve) => {
      socket.addEventListener('close', () => resolve());
      socket.close(1000, 'client closed');
    });
  }

  protected override listenerAdded(event: keyof ClientEvents): void {
    if (event === 'serverkey' && this.pendingAnnouncement) {
      // Announced during connect(), before the caller could listen: tell the first listener.
      const announcement = this.pendingAnnouncement;
      this.pendingAnnouncement = null;
      queueMicrotask(() => this.emit('serverkey', announcement));
      return;
    }
    if (event !== 'message' || this.held.length === 0) return;
    // Hand the held messages over after the caller's `on` returns, in order.
    queueMicrotask(() => this.handOver([]));
  }

  private open(): void {
    const socket = this.setup.openSocket(this.setup.wsUrl);
    this.socket = socket;
    this.attemptKey = this.pinned.current;
    this.acks.newSocket(socket);
    this.refused = this.sessionSecret = this.opening = null;
    socket.binaryType = 'arraybuffer';
    let handshake: Promise<StartedHello> | null = null;
    let established = false;
    const timer = setTimeout(() => socket.close(4000, 'handshake timeout'), this.setup.handshakeTimeoutMs);

    // A ticket is spent by the hello that presents it: it opens one session at most.
    const ticket = this.setup.ticket.take(this.attemptKey);
    this.attempt = { resumed: ticket !== null, opened: false };
    socket.addEventListener('open', () => {
      handshake = startClientHello(this.setup, this.attemptKey, this.lastSeq, ticket);
      handshake.then((h) => socket.send(h.hello)).catch((err: unknown) => this.abort(socket, err));
    });

    socket.addEventListener('message', (event: { data: unknown }) => {
      const data = new Uint8Array(event.data as ArrayBuffer);
      if (!established) {
        established = true;
        this.inbound = this.inbound.then(() => this.finishHandshake(socket, handshake, data)).catch((err) => this.abort(socket, err));
        return;
      }
      clearTimeout(timer); // the handshake ends with the server's first frame after our CONFIRM
      this.inbound = this.inbound.then(() => this.onFrame(socket, data)).catch((err) => this.abort(socket, err));
    });

    socket.addEventListener('close', (event: { code: number; reason: string }) => {
      clearTimeout(timer);
      void this.onClose(socket, event.code, event.reason);
    });
    socket.addEventListener('error', () => {
      /* a close event follows */
    });
  }

  private async finishHandshake(socket: SocketLike, handshake: Promise<StartedHello> | null, reply: Uint8Array): Promise<void> {
    const done = await confirmChannel(this.setup.crypto, handshake, reply, (frame) => socket.send(frame));
    const { clientId, resumed, heartbeatMs } = done.payload;
    ({ opener: this.opener, sessionSecret: this.sessionSecret } = done);
    // Cohort delivery: every server message is an envelope, opened with the session secret.
    this.cohort = done.payload.cohortTickMs === undefined ? null : new CohortInbox(this.setup.crypto.noise, done.sessionSecret);
    this.acks.ready(done.sealer, done.payload.signedAcks === true, this.cohort !== null);
    if (!resumed && clientId !== this.clientId) {
      // The server did not know our key (a new client, or its data was reset): start over.
      this.lastSeq = 0;
      this.receivedUpTo = 0;
      this.held = [];
    }
    this.clientId = clientId;
    this.heartbeatMs = heartbeatMs;
    if (done.payload.nextServerKey !== undefined) {
      // The server told us, under the key we pinned, that its identity moved on.
      const announcement = this.pinned.follow(done.payload.nextServerKey, done.payload.nextServerKeyUntil!);
      if (this.listenerCount('serverkey') === 0) this.pendingAnnouncement = announcement;
      else this.emit('serverkey', announcement);
    }
    this.opening = { clientId, resumed };
    this.watchdog.arm(socket, this.heartbeatMs);
  }

  /** The server's first frame after our CONFIRM (a HEARTBEAT, or an envelope): the session is open. */
  private opened(): void {
    const connected = this.opening!;
    this.opening = null;
    this.attempt.opened = true;
    this.pinned.succeeded();
    this.retry?.succeeded();
    this.emit('session', this.session());
    this.emit('connected', connected);
    this.firstConnect?.resolve();
    this.firstConnect = null;
  }

  private async onFrame(socket: SocketLike, data: Uint8Array): Promise<void> {
    if (socket !== this.socket || !this.opener) return;
    if (this.cohort) this.acks.perEnvelope(); // before opening it: one ACK per envelope
    const receivedAt = Date.now(); // formatted only for a 'frame' listener
    const frame = this.cohort ? await this.cohort.open(data) : decodeServerFrame(await this.opener.open(data));
    this.watchdog.arm(socket, this.heartbeatMs);
    if (this.opening) this.opened();
    if (this.listenerCount('frame') > 0) {
      const messageIds = frame.type === 'deliver' ? frame.messages.map((m) => m.id) : [];
      this.emit('frame', { bytes: data, receivedAt: new Date(receivedAt).toISOString(), cohort: this.cohort !== null, messageIds });
    }
    if (frame.type === 'ticket') {
      await this.setup.ticket.received(this.setup.crypto.noise, this.sessionSecret!, this.attemptKey, frame);
      this.emit('session', this.session());
      return;
    }
    if (frame.type !== 'deliver') return; // heartbeat, or an envelope with nothing for us
    const fresh: Inbound[] = [];
    for (const m of frame.messages) {
      this.acks.delivered(m.seq, m.id);
      if (m.seq <= this.receivedUpTo) continue; // already received: resent after a reconnect
      const data = parseDeliveredData(m.data);
      const createdAt = new Date(m.createdAt).toISOString();
      if (!needsUnwrap(this.setup.inbound, data)) {
        fresh.push({ id: m.id, seq: m.seq, data, createdAt, sealed: false, verified: false });
      } else {
        // Frames are handled one at a time (this.inbound), so awaiting here keeps the order.
        fresh.push(await this.unwrap(m.id, m.seq, data, createdAt));
      }
      this.receivedUpTo = m.seq;
    }
    if (fresh.length > 0) this.handOver(fresh);
    // Only resends: they can make a message held from an earlier socket ackable on this one.
    else this.acks.soon();
  }

  /** Checks a signature and opens a seal; a message that fails either is refused, not thrown. */
  private async unwrap(id: string, seq: number, data: unknown, createdAt: string): Promise<Inbound> {
    try {
      const opened = await unwrapData(this.setup.inbound, { appId: this.setup.appId, clientId: this.clientId, messageId: id }, data);
      return { id, seq, createdAt, ...opened };
    } catch (err) {
      if (err instanceof SealPushError) return { seq, error: err };
      throw err;
    }
  }

  /** Gives messages to the application (or holds them until it listens), then acks. */
  private handOver(fresh: Inbound[]): void {
    this.held.push(...fresh);
    if (this.listenerCount('message') === 0 || this.held.length === 0) return;
    const batch = this.held;
    this.held = [];
    for (const message of batch) {
      this.lastSeq = message.seq;
      if ('error' in message) this.emit('error', message.error);
      else this.emit('message', message);
    }
    this.acks.handedOver(batch.length);
    this.emit('session', this.session());
  }

  private abort(socket: SocketLike, err: unknown): void {
    const code: ErrorCode = err instanceof SealPushError ? err.code : 'ERR_INTERNAL';
    if (err instanceof HandshakeRefusal) this.refused = code;
    if (err instanceof SealPushError && this.firstConnect === null) this.emit('error', err);
    // 4000 is the client's own "reconnect" close; permanent problems are decided on close.
    this.lastLocalError = code;
    if (socket.readyState === 0 || socket.readyState === 1) socket.close(4000, code);
  }

  private async onClose(socket: SocketLike, code: number, reason: string): Promise<void> {
    if (socket !== this.socket) return;
    await this.inbound; // what came before the close first: a refusal in message 2, say
    if (socket !== this.socket) return;
    this.watchdog.stop();
    this.acks.closed();
    this.opener = null;
    this.cohort = null;
    const local = this.lastLocalError;
    this.lastLocalError = null;
    const { errorCode, permanent, unauthenticated } = await judgeClose(this.setup.crypto.noise, { code, reason, local, refused: this.refused, sessionSecret: this.sessionSecret });
    // A resumption that did not open a session (a ticket refused, expired, already used, or a
    // reply that did not open): the full handshake at once, unless the server authenticated a
    // permanent refusal (ERR_NOT_FOUND: the app is gone), which IK would meet too.
    if (this.attempt.resumed && !this.attempt.opened && !permanent && !this.closedByUser) return this.open();
    // Refused under this pinned key: try the next one at once (an identity rotation); once
    // every key was refused, all of them again after the backoff.
    if (errorCode === 'ERR_HANDSHAKE' && !this.closedByUser && this.pinned.refused()) return this.open();
    // A first connect fails on its own attempt, unless the server already answered under the
    // pinned key (message 2) and the close is transient: then it retries like any reconnect.
    const retryFirst = this.sessionSecret !== null && !permanent && this.retry !== null && !this.closedByUser;
    if (this.firstConnect && !retryFirst) {
      const first = this.firstConnect;
      this.firstConnect = null;
      this.closedByUser = true;
      this.retry?.stop();
      first.reject(await this.connectionError(errorCode ?? 'ERR_UNAVAILABLE', code, reason));
      return;
    }
    // Built before anything is emitted, so that 'error' follows 'disconnected' at once.
    const reportedCode = this.closedByUser ? null : (unauthenticated ?? (permanent ? (errorCode ?? 'ERR_PROTOCOL') : null));
    const note = unauthenticated ? "without the server's authentication: treated as transient" : undefined;
    const reported = reportedCode === null ? null : await this.connectionError(reportedCode, code, reason, note);
    const willReconnect = !this.closedByUser && !permanent && this.retry !== null;
    if (!willReconnect) this.retry?.stop();
    const retryInMs = willReconnect ? this.retry!.later() : undefined;
    this.emit('disconnected', { code, reason, willReconnect, ...(retryInMs === undefined ? {} : { retryInMs }) });
    if (reported && !this.closedByUser) this.emit('error', reported);
  }

  private connectionError(code: ErrorCode, closeCode: number, closeReason: string, note?: string): Promise<SealPushConnectionError> {
    return connectionError({ code, url: this.setup.wsUrl, serverKey: this.attemptKey, closeCode, closeReason, note });
  }
}
