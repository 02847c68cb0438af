/**
 * Relay-blind sealing and publisher signatures on the app side (docs/relay-blind.md): turns
 * a message into the `data` wrappers of domain/message-wrappers.ts before it is published.
 * WebCrypto and @hpke only, like the rest of sealpush/app.
 *
 * Seal, then sign: the signature covers the sealed wrapper, so that the server can check it
 * (defence in depth) without seeing the plaintext, and so that a signature never lets anyone
 * holding the public key confirm a guess of a sealed plaintext.
 */
import { SealPushError } from '../domain/errors.js';
import { newMessageId } from '../domain/ids.js';
import { sealedWrapper, signedBytes, signedWrapper, type MessageBinding } from '../domain/message-wrappers.js';
import { base64urlDecode, base64urlEncode, concatBytes, hexDecode } from '../crypto/encoding.js';
import { sealToClient } from '../crypto/hpke.js';

/** An Ed25519 private key: PEM (PKCS#8), base64url of the 32-byte seed, a private JWK, or a CryptoKey. */
export type SigningKeyInput = string | JsonWebKey | CryptoKey;

/** What is sent for one message: never the `seal` option itself. */
export interface WireMessage {
  readonly to: string;
  readonly data: unknown;
  readonly ttl?: number;
  readonly id?: string;
}

export interface ProtectedInput extends WireMessage {
  /** true: seal to the client's HPKE key as sealpush serves it; `{ hpkeKey }`: to this pinned key. */
  readonly seal?: boolean | { readonly hpkeKey: string };
}

const ED25519 = { name: 'Ed25519' } as const;
/** PKCS#8 DER of an Ed25519 private key: this prefix, then the 32-byte seed. */
const ED25519_PKCS8_PREFIX = hexDecode('302e020100300506032b657004220420');
const MAX_CACHED_KEYS = 10_000;
/**
 * How long a served HPKE key is used before it is fetched again: a client that came back with
 * another key (a new session) gets messages it can open again within this time.
 */
export const HPKE_KEY_CACHE_MS = 60_000;

export class MessageProtection {
  private readonly signingKey: Promise<CryptoKey> | null;
  /** Clients' HPKE keys as sealpush served them, for HPKE_KEY_CACHE_MS (a client keeps its key for its whole session). */
  private readonly hpkeKeys = new Map<string, { key: Uint8Array; at: number }>();

  /** Throws ERR_BAD_REQUEST for a signing key that is not an Ed25519 private key. */
  constructor(
    private readonly appId: string,
    signingKey: SigningKeyInput | undefined,
    private readonly fetchHpkeKey: (clientId: string) => Promise<string | null>,
  ) {
    this.signingKey = signingKey === undefined ? null : importSigningKey(signingKey);
    // Surfaces a bad key at the first publish; a rejection left unobserved until then is not an error.
    this.signingKey?.catch(() => undefined);
  }

  get active(): boolean {
    return this.signingKey !== null;
  }

  /** The message as it goes on the wire: sealed and/or signed as asked, with an id when either is. */
  async protect(message: ProtectedInput): Promise<WireMessage> {
    const { seal, ...wire } = message;
    if (!seal && this.signingKey === null) return wire;
    if (message.data === undefined) throw new SealPushError('ERR_BAD_REQUEST', '"data" is required (any JSON value)');
    // The seal and the signature bind the message id, so the app must know it before sending.
    const binding: MessageBinding = { appId: this.appId, clientId: message.to, messageId: message.id ?? newMessageId() };
    let data: unknown = message.data;
    let text = JSON.stringify(data);
    if (seal) {
      const key = typeof seal === 'object' ? decodeHpkeKey(seal.hpkeKey) : await this.hpkeKeyOf(message.to);
      data = sealedWrapper(await sealToClient(key, binding, text));
      text = JSON.stringify(data);
    }
    if (this.signingKey !== null) {
      const signature = await globalThis.crypto.subtle.sign(ED25519, await this.signingKey, signedBytes(binding, text));
      data = signedWrapper({ payload: text, sig: base64urlEncode(new Uint8Array(signature)) });
    }
    return { ...wire, id: binding.messageId, data };
  }

  private async hpkeKeyOf(clientId: string): Promise<Uint8Array> {
    const cached = this.hpkeKeys.get(clientId);
    if (cached && Date.now() - cached.at < HPKE_KEY_CACHE_MS) return cached.key;
    const served = await this.fetchHpkeKey(clientId);
    if (served === null) {
      throw new SealPushError('ERR_SEALED_MESSAGE', `Client "${clientId}" published no HPKE key: it cannot receive sealed messages`);
    }
    const key = decodeHpkeKey(served);
    if (this.hpkeKeys.size >= MAX_CACHED_KEYS) this.hpkeKeys.clear();
    this.hpkeKeys.set(clientId, { key, at: Date.now() });
    return key;
  }
}

function decodeHpkeKey(text: string): Uint8Array {
  try {
    const key = base64urlDecode(text);
    if (key.length === 32) return key;
  } catch {
    // reported below
  }
  throw new SealPushError('ERR_SEALED_MESSAGE', 'An HPKE key is base64url of 32 bytes');
}

async function importSigningKey(input: SigningKeyInput): Promise<CryptoKey> {
  const subtle = globalThis.crypto.subtle;
  const bad = () => new SealPushError('ERR_BAD_REQUEST', 'signingKey must be an Ed25519 private key: PEM (PKCS#8), base64url of its 32-byte seed, or a private JWK');
  try {
    if (typeof input === 'string' && input.includes('-----BEGIN')) {
      const body = input.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
      const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
      return await subtle.importKey('pkcs8', der, ED25519, false, ['sign']);
    }
    if (typeof input === 'string') {
      const seed = base64urlDecode(input);
      if (seed.length !== 32) throw bad();
      return await subtle.importKey('pkcs8', concatBytes(ED25519_PKCS8_PREFIX, seed), ED25519, false, ['sign']);
    }
    if (isCryptoKey(input)) {
      if (input.algorithm.name !== 'Ed25519' || input.type !== 'private') throw bad();
      return input;
    }
    return await subtle.importKey('jwk', input, ED25519, false, ['sign']);
  } catch {
    throw bad();
  }
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}
