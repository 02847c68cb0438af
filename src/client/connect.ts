/**
 * `connect()` for both entries of sealpush/client: the browser one (index.ts, WebCrypto and
 * @noble/ciphers) and the Node one (node.ts, node:crypto and sodium-native). Only the ClientCrypto differs; every check, default and
 * behaviour is this file's.
 */
import { SealPushError } from '../domain/errors.js';
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import { ackKeyFingerprint } from '../crypto/ack-receipt.js';
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MIN_DELAY_MS, type ReconnectOptions } from './backoff.js';
import { SealPushClient } from './client.js';
import { ResumeTicket } from './resume-ticket.js';
import type { ClientCrypto, PublisherVerify } from './platform.js';
import { parseSession, webSocketUrl, type SavedSession } from './session.js';
import { defaultSocketConstructor, type SocketConstructor } from './socket.js';
import { browserWakeSignals, type WakeSignals } from './wake.js';

export interface ConnectOptions {
  /** The server's base URL (http(s)://host:port) or its WebSocket URL. */
  readonly url: string;
  readonly appId: string;
  /** The server's public key, base64url of its 32 raw bytes (`sealpush keys show`). */
  readonly serverKey: string;
  /**
   * More pinned server keys, tried in order when the server refuses the handshake made to
   * the one before (ERR_HANDSHAKE): e.g. the key announced by an identity rotation next to
   * the one shipped with the app (docs/keys.md). Each is base64url of 32 bytes.
   */
  readonly serverKeys?: readonly string[];
  /** A session saved from `c.session()`, to resume the same client id. */
  readonly session?: SavedSession | undefined;
  /**
   * Reconnection after a transient close: exponential backoff with full jitter, from
   * minDelayMs (default 250) to maxDelayMs (default 10000); `false` turns it off.
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * Where the client hears that reconnecting at once is worth it: `online` (the network is
   * back) and `visibilitychange` to visible. A waiting reconnection then goes at once and the
   * backoff starts over. Default: the browser's `window` and `document`; none in Node.
   * `false` turns it off. close() removes the listeners.
   */
  readonly wakeSignals?: WakeSignals | false;
  /** Time a handshake may take, until the server's first frame after the key confirmation. Default 10000 ms. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Longest the ACK for a handed-over message may wait, so that one ACK covers several
   * messages (acks are cumulative; a resume tells the server anyway). Default 100 ms;
   * 0 acks every hand-over at once. An integer from 0 to 2147483647.
   */
  readonly ackDelayMs?: number;
  /** Un-acked messages at which the ACK goes without waiting for ackDelayMs. Default 64; at least 1. */
  readonly ackEvery?: number;
  /**
   * The publisher's Ed25519 public key, given out of band (bundled with the application,
   * never fetched from sealpush): base64url of its 32 raw bytes, or a public JWK
   * (`{ kty: 'OKP', crv: 'Ed25519', x }`). When set, every message must carry the publisher's
   * signature for this app, client and message id; any other is not handed over, and an
   * 'error' event with ERR_MESSAGE_SIGNATURE reports it. So even a compromised sealpush
   * cannot inject a message.
   */
  readonly publisherKey?: string | JsonWebKey;
  /**
   * Resume with the ticket of the last session (docs/protocol.md section 2.6): a returning
   * client skips the full handshake, and the saved session holds the ticket. Default true;
   * `false` never keeps or uses one (every connection runs the full handshake).
   */
  readonly resume?: boolean;
  /** A WebSocket implementation, if the platform has none (Node 20 uses `ws` by default). */
  readonly WebSocket?: SocketConstructor;
}

export async function connectWith(crypto: ClientCrypto, options: ConnectOptions): Promise<SealPushClient> {
  const { url, appId } = options;
  if (typeof appId !== 'string' || appId.length === 0) throw new SealPushError('ERR_BAD_REQUEST', 'appId is required');
  if (options.serverKeys !== undefined && !Array.isArray(options.serverKeys)) {
    throw new SealPushError('ERR_BAD_REQUEST', 'serverKeys must be a list of keys');
  }
  const pinned = [options.serverKey, ...(options.serverKeys ?? [])].map((text, i) => pinnedKey(text, i === 0 ? 'serverKey' : 'serverKeys'));
  const ackDelayMs = integerOption('ackDelayMs', options.ackDelayMs, 100, 0, MAX_TIMER_MS);
  const ackEvery = integerOption('ackEvery', options.ackEvery, 64, 1, Number.MAX_SAFE_INTEGER);
  const reconnect = reconnectOption(options.reconnect);
  if (options.resume !== undefined && typeof options.resume !== 'boolean') throw new SealPushError('ERR_BAD_REQUEST', 'resume must be true or false');
  const session = options.session === undefined ? undefined : parseSession(options.session, appId);
  // The keys the application pinned go first: a saved session is only as safe as its storage.
  // A key the server announced (kept in the session) is tried once they are refused, so an
  // identity rotation still completes after the old key's overlap ends (docs/keys.md).
  const announced = session?.serverKey === undefined ? [] : [pinnedKey(session.serverKey, 'session.serverKey')];
  const serverKeys = [...pinned, ...announced.filter((key) => !pinned.some((p) => base64urlEncode(p) === base64urlEncode(key)))];
  const staticKey = session
    ? await crypto.noise.keyPairFromPrivate(base64urlDecode(session.staticKey))
    : await crypto.noise.generateKeyPair();
  const ackKey = session?.ackKey ? await crypto.ack.fromSeed(base64urlDecode(session.ackKey)) : await crypto.ack.generate();
  const ackFingerprint = await ackKeyFingerprint(ackKey.publicKey, crypto.ack.sha256);
  // A second X25519 key pair, for HPKE only: no key serves two protocols.
  const hpke = session?.hpkeKey
    ? await crypto.noise.keyPairFromPrivate(base64urlDecode(session.hpkeKey))
    : await crypto.noise.generateKeyPair();
  const verifyPublisher = options.publisherKey === undefined ? null : await publisherVerifier(crypto, options.publisherKey);
  const Socket = options.WebSocket ?? (await defaultSocketConstructor());
  const client = new SealPushClient({
    wsUrl: webSocketUrl(url),
    appId,
    serverKeys,
    staticKey,
    ackKey,
    ackFingerprint,
    inbound: { hpke, verifyPublisher },
    clientId: session?.clientId ?? '',
    announcedKey: session?.serverKey ?? null,
    ticket: new ResumeTicket(session?.ticket, options.resume !== false),
    lastSeq: session?.lastSeq ?? 0,
    openSocket: (wsUrl) => new Socket(wsUrl),
    reconnect,
    wake: options.wakeSignals === false ? {} : (options.wakeSignals ?? browserWakeSignals()),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    ackDelayMs,
    ackEvery,
    crypto,
  });
  await client.start();
  return client;
}

async function publisherVerifier(crypto: ClientCrypto, key: string | JsonWebKey): Promise<PublisherVerify> {
  const bad = () => new SealPushError('ERR_BAD_REQUEST', 'publisherKey must be an Ed25519 public key: base64url of 32 bytes, or a public JWK');
  let raw: Uint8Array;
  try {
    if (typeof key === 'string') raw = base64urlDecode(key);
    else if (typeof key === 'object' && key !== null && key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string' && key.d === undefined) {
      raw = base64urlDecode(key.x);
    } else throw bad();
  } catch {
    throw bad();
  }
  if (raw.length !== 32) throw bad();
  try {
    return await crypto.publisherVerifier(raw);
  } catch {
    throw bad();
  }
}

function pinnedKey(text: unknown, name: string): Uint8Array {
  let key: Uint8Array | undefined;
  try {
    key = typeof text === 'string' ? base64urlDecode(text) : undefined;
  } catch {
    key = undefined;
  }
  if (key?.length !== 32) throw new SealPushError('ERR_BAD_REQUEST', `${name} must be base64url of 32 bytes`);
  return key;
}

/** setTimeout fires at once for a delay above this (a signed 32-bit count of ms). */
const MAX_TIMER_MS = 2_147_483_647;

function reconnectOption(value: ReconnectOptions | false | undefined): ReconnectOptions | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new SealPushError('ERR_BAD_REQUEST', 'reconnect must be false or { minDelayMs, maxDelayMs }');
  }
  const minDelayMs = integerOption('reconnect.minDelayMs', value?.minDelayMs, DEFAULT_MIN_DELAY_MS, 1, MAX_TIMER_MS);
  const maxDelayMs = integerOption('reconnect.maxDelayMs', value?.maxDelayMs, Math.max(DEFAULT_MAX_DELAY_MS, minDelayMs), minDelayMs, MAX_TIMER_MS);
  return { minDelayMs, maxDelayMs };
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SealPushError('ERR_BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}
