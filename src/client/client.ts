import { SealPushError, type ErrorCode } from '../domain/errors.js';
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import { decodeServerFrame, encodeAck, encodeSignedAck } from '../crypto/frames.js';
import { ackSignedBytes, encodeCoveredList, type AckKeyPair, type CoveredMessage } from '../crypto/ack-receipt.js';
import { HandshakeRefusal, type StartedHello } from '../crypto/hello.js';
import type { KeyPair } from '../crypto/noise/primitives.js';
import type { ClientCrypto, FrameOpenerLike, FrameSealerLike } from './platform.js';
import { Backoff, type ReconnectOptions } from './backoff.js';
import { CohortInbox } from './cohort-inbox.js';
import { Emitter } from './emitter.js';
import type { SavedSession } from './session.js';
import type { SocketLike } from './socket.js';
import { needsUnwrap, parseDeliveredData, unwrapData, type InboundKeys } from './inbound.js';
import { confirmChannel, startClientHello } from './handshake.js';
import { describeClose, judgeClose } from './close-policy.js';

/** A message as the application sees it: each exactly once, in publish order. */
export interface Message {
  readonly id: string;
  readonly seq: number;
  /** The publisher's `data`, parsed. */
  readonly data: unknown;
  /** When sealpush accepted it (ISO 8601). */
  readonly createdAt: string;
  /** It arrived HPKE-sealed to this client: sealpush stored and forwarded only ciphertext. */
  readonly sealed: boolean;
  /** Its publisher signature verified with the `publisherKey` this client pinned. */
  readonly verified: boolean;
}

/**
 * A delivered message the SDK refused (ERR_SEALED_MESSAGE, ERR_MESSAGE_SIGNATURE): in order
 * with the others, given to 'error' listeners instead of 'message' ones, and acked like any
 * other (docs/relay-blind.md says why).
 */
interface RefusedMessage {
  readonly seq: number;
  readonly error: SealPushError;
}

type Inbound = Message | RefusedMessage;

export interface ClientEvents {
  message: Message;
  /** The secure session is up (first connect or a reconnect). */
  connected: { clientId: string; resumed: boolean };
  disconnected: { code: number; reason: string; willReconnect: boolean };
  /** The saved session changed (new lastSeq or new client id): store it again if you persist it. */
  session: SavedSession;
  /**
   * The server rotated its identity: it announced `serverKey` (base64url) inside a handshake
   * authenticated by the key this client had pinned. The client uses it from its next
   * connection on; persist it and pass it as `serverKey` next time. The key used so far is
   * accepted until `until` (ISO 8601).
   */
  serverkey: { serverKey: string; until: string; previousKey: string };
  error: SealPushError;
  /**
   * A frame as it came off the wire, still sealed (the transport ciphertext, or the whole
   * cohort envelope), once it was opened: for inspection, as the demo page shows them.
   * `messageIds` are the messages it carried for this client (none for a heartbeat, or an
   * envelope with nothing for it); it comes before their 'message' events.
   */
  frame: { bytes: Uint8Array; receivedAt: string; cohort: boolean; messageIds: string[] };
}

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
  readonly openSocket: (url: string) => SocketLike;
  readonly reconnect: ReconnectOptions | false;
  readonly handshakeTimeoutMs: number;
  /** Noise and frame ciphers: WebCrypto in browsers, node:crypto in the Node entry. */
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
  /** Messages handed over since the last ACK, and the timer that sends the ACK anyway. */
  private unacked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private sealer: FrameSealerLike | null = null;
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
  private outbound: Promise<void> = Promise.resolve();
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly backoff: Backoff | null;
  private closedByUser = false;
  /** The pinned server keys, the one to use first at [keyIndex]; an announced new key goes first. */
  private serverKeys: Uint8Array[];
  private keyIndex = 0;
  /** Handshakes refused in a row since the last success: every pinned key is tried once. */
  private refusedKeys = 0;
  /** The key the server last announced (kept in the session); `pendingAnnouncement` waits for a listener. */
  private announcedKey: string | null;
  private pendingAnnouncement: ClientEvents['serverkey'] | null = null;
  private firstConnect: { resolve(): void; reject(err: SealPushError): void } | null = null;

  constructor(private readonly setup: ClientSetup) {
    super();
    this.clientId = setup.clientId;
    this.lastSeq = setup.lastSeq;
    this.receivedUpTo = setup.lastSeq;
    this.serverKeys = [...setup.serverKeys];
    this.announcedKey = setup.announcedKey;
    this.backoff = setup.reconnect === false ? null : new Backoff(setup.reconnect);
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
      ...(this.announcedKey === null ? {} : { serverKey: this.announcedKey }),
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
    return base64urlEncode(this.serverKeys[this.keyIndex]!);
  }

  /** Closes for good: no reconnection. Sends the pending ACK first, so nothing handed over stays un-acked. */
  async close(): Promise<void> {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopWatchdog();
    const socket = this.socket;
    if (!socket || socket.readyState === 3) return;
    // Messages may still arrive while an ACK is being sealed: repeat until none is due.
    while (socket === this.socket && socket.readyState === 1 && this.flushAck()) await this.outbound;
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
    this.socketSeq = 0;
    this.socketAckedSeq = 0;
    this.signing = false;
    this.socketUnsigned = [];
    this.refused = this.sessionSecret = this.opening = null;
    socket.binaryType = 'arraybuffer';
    let handshake: Promise<StartedHello> | null = null;
    let established = false;
    const timer = setTimeout(() => socket.close(4000, 'handshake timeout'), this.setup.handshakeTimeoutMs);

    socket.addEventListener('open', () => {
      handshake = startClientHello(this.setup, this.serverKeys[this.keyIndex]!, this.lastSeq);
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
    ({ sealer: this.sealer, opener: this.opener, sessionSecret: this.sessionSecret } = done);
    // Cohort delivery: every server message is an envelope, opened with the session secret.
    this.cohort = done.payload.cohortTickMs === undefined ? null : new CohortInbox(this.setup.crypto.noise, done.sessionSecret);
    this.signing = done.payload.signedAcks === true;
    if (!resumed && clientId !== this.clientId) {
      // The server did not know our key (a new client, or its data was reset): start over.
      this.lastSeq = 0;
      this.receivedUpTo = 0;
      this.held = [];
    }
    this.clientId = clientId;
    this.heartbeatMs = heartbeatMs;
    if (done.payload.nextServerKey !== undefined) this.followServerKey(done.payload.nextServerKey, done.payload.nextServerKeyUntil!);
    this.opening = { clientId, resumed };
    this.armWatchdog(socket);
  }

  /** The server's first frame after our CONFIRM (a HEARTBEAT, or an envelope): the session is open. */
  private opened(): void {
    const connected = this.opening!;
    this.opening = null;
    this.refusedKeys = 0;
    this.backoff?.reset();
    this.emit('session', this.session());
    this.emit('connected', connected);
    this.firstConnect?.resolve();
    this.firstConnect = null;
  }

  /**
   * The server told us, under the key we pinned, that its identity moved on: pin the new key
   * first, keep the others (the old one still works until `until`), and tell the application.
   */
  private followServerKey(next: string, until: number): void {
    const key = base64urlDecode(next);
    const previous = this.serverKeys[this.keyIndex]!;
    this.serverKeys = [key, ...this.serverKeys.filter((k) => base64urlEncode(k) !== next)];
    this.keyIndex = 0;
    this.announcedKey = next;
    const announcement = { serverKey: next, until: new Date(until).toISOString(), previousKey: base64urlEncode(previous) };
    if (this.listenerCount('serverkey') === 0) this.pendingAnnouncement = announcement;
    else this.emit('serverkey', announcement);
  }

  private async onFrame(socket: SocketLike, data: Uint8Array): Promise<void> {
    if (socket !== this.socket || !this.opener) return;
    if (this.cohort) {
      // One ACK per envelope, sent before opening it: the client's frames follow the tick,
      // not the arrival of its own messages (the envelope's are acked at the next tick).
      const fromSeq = this.socketAckedSeq;
      const seq = Math.max(this.ackableSeq(), fromSeq);
      this.socketAckedSeq = seq;
      this.sendAck(fromSeq, seq);
    }
    const receivedAt = Date.now(); // formatted only for a 'frame' listener
    const frame = this.cohort ? await this.cohort.open(data) : decodeServerFrame(await this.opener.open(data));
    this.armWatchdog(socket);
    if (this.opening) this.opened();
    if (this.listenerCount('frame') > 0) {
      const messageIds = frame.type === 'deliver' ? frame.messages.map((m) => m.id) : [];
      this.emit('frame', { bytes: data, receivedAt: new Date(receivedAt).toISOString(), cohort: this.cohort !== null, messageIds });
    }
    if (frame.type !== 'deliver') return; // heartbeat, or an envelope with nothing for us
    const fresh: Inbound[] = [];
    for (const m of frame.messages) {
      this.socketSeq = m.seq;
      if (this.signing) this.socketUnsigned.push({ seq: m.seq, id: m.id });
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
    else this.ackSoon();
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
    this.unacked += batch.length;
    this.ackSoon();
    this.emit('session', this.session());
  }

  /**
   * Sends the ACK now when acks are not delayed or ackEvery messages wait, else within
   * ackDelayMs of the first un-acked hand-over. Acks are cumulative, so one carries them all.
   */
  private ackSoon(): void {
    if (this.cohort) return; // cohort delivery: one ACK per envelope (onFrame)
    if (this.ackableSeq() <= this.socketAckedSeq) return;
    if (this.setup.ackDelayMs === 0 || this.unacked >= this.setup.ackEvery) {
      this.flushAck();
      return;
    }
    if (this.ackTimer) return;
    const timer = setTimeout(() => {
      this.ackTimer = null;
      this.flushAck();
    }, this.setup.ackDelayMs);
    // A pending ACK must not keep a Node process alive; browsers have no unref.
    (timer as { unref?: () => void }).unref?.();
    this.ackTimer = timer;
  }

  /** Sends the pending ACK, if any; true when one went. */
  private flushAck(): boolean {
    this.dropAck();
    const seq = this.ackableSeq();
    const fromSeq = this.socketAckedSeq;
    if (seq <= fromSeq) return false;
    this.socketAckedSeq = seq;
    this.sendAck(fromSeq, seq);
    return true;
  }

  /** Forgets the pending ACK: the next hello's lastSeq tells the server instead. */
  private dropAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.unacked = 0;
  }

  /** The highest seq both handed over and delivered on the current socket. */
  private ackableSeq(): number {
    return Math.min(this.lastSeq, this.socketSeq);
  }

  /** `fromSeq`: the previous ACK's seq on this socket (0 for its first). */
  private sendAck(fromSeq: number, seq: number): void {
    const socket = this.socket;
    const sealer = this.sealer;
    if (!socket || !sealer || socket.readyState !== 1) return; // resume tells the server instead
    // Taken now, in ACK order: what this ACK covers is fixed before anything else arrives.
    const covered = this.signing ? this.takeCovered(seq) : null;
    const statement = { appId: this.setup.appId, clientId: this.clientId, fromSeq, uptoSeq: seq };
    this.outbound = this.outbound
      .then(async () => {
        const plaintext = covered === null ? encodeAck(seq) : await this.signedAck(statement, covered);
        const frame = await sealer.seal(plaintext);
        if (socket.readyState === 1 && socket === this.socket) socket.send(frame);
      })
      .catch((err: unknown) => this.abort(socket, err));
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

  private armWatchdog(socket: SocketLike): void {
    this.stopWatchdog();
    // The server sends a frame at least every heartbeatMs; silence past twice that means a dead link.
    this.watchdog = setTimeout(() => socket.close(4000, 'heartbeat timeout'), this.heartbeatMs * 2 + 5_000);
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
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
    this.stopWatchdog();
    this.dropAck();
    this.sealer = null;
    this.opener = null;
    this.cohort = null;
    const local = this.lastLocalError;
    this.lastLocalError = null;
    const { errorCode, permanent, unauthenticated } = await judgeClose(this.setup.crypto.noise, { code, reason, local, refused: this.refused, sessionSecret: this.sessionSecret });
    if (errorCode === 'ERR_HANDSHAKE' && !this.closedByUser && this.serverKeys.length > 1) {
      // Refused under this pinned key: try the next one at once (an identity rotation); once
      // every key was refused, all of them again after the backoff.
      this.keyIndex = (this.keyIndex + 1) % this.serverKeys.length;
      if (++this.refusedKeys < this.serverKeys.length) return this.open();
      this.refusedKeys = 0;
    }
    // A first connect fails on its own attempt, unless the server already answered under the
    // pinned key (message 2) and the close is transient: then it retries like any reconnect.
    const retryFirst = this.sessionSecret !== null && !permanent && this.backoff !== null && !this.closedByUser;
    if (this.firstConnect && !retryFirst) {
      const first = this.firstConnect;
      this.firstConnect = null;
      first.reject(new SealPushError(errorCode ?? 'ERR_UNAVAILABLE', describeClose(code, reason)));
      this.closedByUser = true;
      return;
    }
    const willReconnect = !this.closedByUser && !permanent && this.backoff !== null;
    this.emit('disconnected', { code, reason, willReconnect });
    if (unauthenticated && !this.closedByUser) {
      this.emit('error', new SealPushError(unauthenticated, `${describeClose(code, reason)} without the server's authentication: treated as transient`));
    }
    if (permanent && !this.closedByUser) this.emit('error', new SealPushError(errorCode ?? 'ERR_PROTOCOL', describeClose(code, reason)));
    if (willReconnect) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.closedByUser) this.open();
      }, this.backoff!.next());
    }
  }
}
