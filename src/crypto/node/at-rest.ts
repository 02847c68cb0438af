/**
 * Message payloads at rest. Three sealed formats, told apart by their first byte:
 *
 *   format 1: `[u8 1][12 nonce][ciphertext][16 tag]`, AES-256-GCM under the node's one payload
 *             key (every payload sealed before per-client keys; still opened, never written).
 *   format 2: `[u8 2][12 nonce][ciphertext][16 tag]`, AES-256-GCM under the recipient client's
 *             own key K_c (written until XChaCha20-Poly1305; still opened, never written).
 *   format 4: `[u8 4][24 nonce][ciphertext][16 tag]`, XChaCha20-Poly1305 (libsodium's IETF
 *             construction) under the same K_c: every payload from now on.
 *
 * K_c = HKDF-SHA-256(ikm = payload key, salt = the client's 32-byte key salt,
 * info = "sealpush-client-payload-v1\n<appId>\n<clientId>", 32 bytes).
 *
 * The caller's aad (which names the message) is authenticated in every format, so a payload
 * cannot be moved to another message. The key salt is stored in the client's row and nowhere
 * else: deleting it destroys K_c, and with it every format-2 and format-4 payload of that
 * client (crypto-shredding, docs/forget.md). Why XChaCha20-Poly1305: libsodium seals into a
 * buffer we allocate, where node:crypto builds a cipher object per AES-GCM operation (about
 * ten times the cost, scripts/measure-aead.ts); and its 24-byte random nonces never collide in
 * practice, where AES-GCM's 96-bit random nonces bound one key to about 2^32 seals.
 *
 * Format 3 is not at rest: envelopes between nodes on the Redis bus (createBusEnvelopeCipher),
 * still AES-256-GCM so that nodes of two versions keep understanding each other.
 */

import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import sodium from 'sodium-native';
import { randomBytes } from '../../domain/ids.js';
import { SealPushError } from '../../domain/errors.js';
import type { PayloadCipher, PayloadKeyring } from '../../domain/ports/payload-cipher.js';
import { KEYLEN, TAGLEN } from '../noise/primitives.js';
import { pooledBytes } from './chachapoly.js';

export const AT_REST_FORMAT = 1;
export const AT_REST_CLIENT_GCM_FORMAT = 2;
/** Not at rest: envelopes between nodes on the Redis bus (createBusEnvelopeCipher). */
export const BUS_ENVELOPE_FORMAT = 3;
/** The format every payload is sealed in now. */
export const AT_REST_CLIENT_FORMAT = 4;
export const KEY_SALT_BYTES = 32;
const GCM_NONCE_BYTES = 12;
const GCM_HEADER_BYTES = 1 + GCM_NONCE_BYTES;
const XCHACHA_NONCE_BYTES = 24;
const XCHACHA_HEADER_BYTES = 1 + XCHACHA_NONCE_BYTES;

/** Opens one format's blob; throws on any failure (the caller turns it into one refusal). */
type Opening = (sealed: Uint8Array, aad: Uint8Array) => Uint8Array;

function sealGcm(key: KeyObject, format: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(GCM_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(GCM_HEADER_BYTES + head.length + tail.length + TAGLEN);
  out[0] = format;
  out.set(nonce, 1);
  out.set(head, GCM_HEADER_BYTES);
  out.set(tail, GCM_HEADER_BYTES + head.length);
  out.set(cipher.getAuthTag(), GCM_HEADER_BYTES + head.length + tail.length);
  return out;
}

function openGcm(key: () => KeyObject): Opening {
  return (sealed, aad) => {
    if (sealed.length < GCM_HEADER_BYTES + TAGLEN) throw new RangeError('shorter than a format-1 blob');
    const decipher = createDecipheriv('aes-256-gcm', key(), sealed.subarray(1, GCM_HEADER_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
    const head = decipher.update(sealed.subarray(GCM_HEADER_BYTES, sealed.length - TAGLEN));
    const tail = decipher.final();
    return new Uint8Array(tail.length === 0 ? head : Buffer.concat([head, tail]));
  };
}

/** libsodium's "no associated data" is null, as chachapoly.ts passes it. */
const orNull = (aad: Uint8Array): Uint8Array | null => (aad.length > 0 ? aad : null);

/**
 * The blob is a view of Node's Buffer pool, as in chachapoly.ts: an ArrayBuffer of its own
 * cost about 1 µs more per seal (scripts/measure-aead.ts). Safe because no store keeps the
 * view: the SQLite thread packs each commit into a buffer of its own, MySQL sends the bytes.
 */
function sealXChaCha(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const out = pooledBytes(XCHACHA_HEADER_BYTES + plaintext.length + TAGLEN);
  out[0] = AT_REST_CLIENT_FORMAT;
  const nonce = out.subarray(1, XCHACHA_HEADER_BYTES);
  nonce.set(randomBytes(XCHACHA_NONCE_BYTES));
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(XCHACHA_HEADER_BYTES), plaintext, orNull(aad), null, nonce, key);
  return out;
}

function openXChaCha(key: Uint8Array): Opening {
  return (sealed, aad) => {
    if (sealed.length < XCHACHA_HEADER_BYTES + TAGLEN) throw new RangeError('shorter than a format-4 blob');
    const plaintext = pooledBytes(sealed.length - XCHACHA_HEADER_BYTES - TAGLEN);
    const nonce = sealed.subarray(1, XCHACHA_HEADER_BYTES);
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, sealed.subarray(XCHACHA_HEADER_BYTES), orNull(aad), nonce, key);
    return plaintext;
  };
}

function refused(): SealPushError {
  return new SealPushError('ERR_INTERNAL', 'a stored payload failed to authenticate');
}

/** How a blob of each format opens; a format without an entry is refused. */
function opener(formats: ReadonlyMap<number, Opening>): PayloadCipher['open'] {
  return (sealed, aad) => {
    const open = sealed.length > 0 ? formats.get(sealed[0]!) : undefined;
    if (open === undefined) throw refused();
    try {
      return open(sealed, aad);
    } catch {
      throw refused();
    }
  };
}

function secretKey(key32: Uint8Array, what: string): KeyObject {
  if (key32.length !== KEYLEN) throw new RangeError(`${what} is 32 bytes`);
  return createSecretKey(Uint8Array.from(key32));
}

/** The format-1 cipher under the node's payload key (seals format 1: tests and old data only). */
export function createPayloadCipher(key32: Uint8Array): PayloadCipher {
  const key = secretKey(key32, 'a payload key');
  return {
    seal: (plaintext, aad) => sealGcm(key, AT_REST_FORMAT, plaintext, aad),
    open: opener(new Map([[AT_REST_FORMAT, openGcm(() => key)]])),
  };
}

/** K_c of one client, as the comment above defines it. */
export function deriveClientKey(payloadKey: Uint8Array, keySalt: Uint8Array, appId: string, clientId: string): Uint8Array {
  if (keySalt.length !== KEY_SALT_BYTES) throw new RangeError(`a client key salt is ${KEY_SALT_BYTES} bytes`);
  const info = Buffer.from(`sealpush-client-payload-v1\n${appId}\n${clientId}`, 'utf8');
  return new Uint8Array(hkdfSync('sha256', payloadKey, keySalt, info, KEYLEN));
}

/** HKDF info of K_f, the key of a client's publish fingerprints (derived from K_c, no salt). */
const FINGERPRINT_INFO = Buffer.from('sealpush-idempotency-v1', 'utf8');

/**
 * Per-client ciphers from the node's payload key. Each seals format 4 under its client's key
 * and opens format 4 and format 2 with it, and format 1 (written before per-client keys) with
 * the payload key. Its fingerprints are HMAC-SHA-256 under K_f = HKDF-SHA-256(ikm = K_c,
 * info = "sealpush-idempotency-v1"): forgetting the client (its salt) destroys K_f with K_c.
 */
export function createPayloadKeyring(payloadKey32: Uint8Array): PayloadKeyring {
  const root = Uint8Array.from(payloadKey32);
  const legacy = secretKey(root, 'a payload key');
  const openFormat1 = openGcm(() => legacy);
  return {
    forClient({ id, appId, keySalt }) {
      const clientKey = deriveClientKey(root, keySalt, appId, id);
      // Node key objects only where old blobs or a publish need them: a delivering
      // connection's cipher of a client with only format-4 payloads never does.
      let gcmKey: KeyObject | undefined;
      let macKey: KeyObject | undefined;
      return {
        seal: (plaintext, aad) => sealXChaCha(clientKey, plaintext, aad),
        open: opener(
          new Map([
            [AT_REST_CLIENT_FORMAT, openXChaCha(clientKey)],
            [AT_REST_CLIENT_GCM_FORMAT, openGcm(() => (gcmKey ??= secretKey(clientKey, 'a client key')))],
            [AT_REST_FORMAT, openFormat1],
          ]),
        ),
        fingerprint: (parameters) => {
          macKey ??= secretKey(new Uint8Array(hkdfSync('sha256', clientKey, new Uint8Array(0), FINGERPRINT_INFO, KEYLEN)), 'a fingerprint key');
          return new Uint8Array(createHmac('sha256', macKey).update(parameters).digest());
        },
      };
    },
  };
}

/**
 * The cipher of envelopes between nodes (the Redis bus), so that Redis and its network carry
 * no message data in the clear and cannot inject any: format 3, `[u8 3][12 nonce][ct][16 tag]`
 * under K_bus = HKDF-SHA-256(ikm = payload key, salt = none, info = "sealpush-bus-envelope-v1",
 * 32 bytes). Every node of a cluster shares the payload key (it is in the store), so every
 * node derives the same K_bus; the aad is the target node's channel name.
 */
export function createBusEnvelopeCipher(payloadKey32: Uint8Array): PayloadCipher {
  const derived = new Uint8Array(hkdfSync('sha256', payloadKey32, new Uint8Array(0), Buffer.from('sealpush-bus-envelope-v1', 'utf8'), KEYLEN));
  const key = secretKey(derived, 'a bus envelope key');
  derived.fill(0);
  return {
    seal: (plaintext, aad) => sealGcm(key, BUS_ENVELOPE_FORMAT, plaintext, aad),
    open: opener(new Map([[BUS_ENVELOPE_FORMAT, openGcm(() => key)]])),
  };
}
