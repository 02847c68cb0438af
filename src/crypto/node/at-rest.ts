/**
 * Message payloads at rest: AES-256-GCM with a random 96-bit nonce. Two sealed formats:
 *
 *   format 1: `[u8 1][12 nonce][ciphertext][16 tag]` under the node's one payload key
 *             (every payload sealed before per-client keys; still opened, never written).
 *   format 2: `[u8 2][12 nonce][ciphertext][16 tag]` under the recipient client's own key,
 *             K_c = HKDF-SHA-256(ikm = payload key, salt = the client's 32-byte key salt,
 *             info = "sealpush-client-payload-v1\n<appId>\n<clientId>", 32 bytes).
 *
 * The caller's aad (which names the message) is authenticated, so a payload cannot be moved
 * to another message. The key salt is stored in the client's row and nowhere else: deleting
 * it destroys K_c, and with it every format-2 payload of that client (crypto-shredding,
 * docs/forget.md). Random nonces bound one key to about 2^32 seals (NIST SP 800-38D); a
 * client key only seals that client's messages.
 *
 * Format 3 is not at rest: envelopes between nodes on the Redis bus (createBusEnvelopeCipher).
 */

import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { randomBytes } from '../../domain/ids.js';
import { SealPushError } from '../../domain/errors.js';
import type { PayloadCipher, PayloadKeyring } from '../../domain/ports/payload-cipher.js';
import { KEYLEN, TAGLEN } from '../noise/primitives.js';

export const AT_REST_FORMAT = 1;
export const AT_REST_CLIENT_FORMAT = 2;
/** Not at rest: envelopes between nodes on the Redis bus (createBusEnvelopeCipher). */
export const BUS_ENVELOPE_FORMAT = 3;
export const KEY_SALT_BYTES = 32;
const NONCE_BYTES = 12;
const HEADER_BYTES = 1 + NONCE_BYTES;

function seal(key: KeyObject, format: number, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(HEADER_BYTES + head.length + tail.length + TAGLEN);
  out[0] = format;
  out.set(nonce, 1);
  out.set(head, HEADER_BYTES);
  out.set(tail, HEADER_BYTES + head.length);
  out.set(cipher.getAuthTag(), HEADER_BYTES + head.length + tail.length);
  return out;
}

/** Opens a blob whose format byte was already checked; throws on any failure. */
function open(key: KeyObject, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, HEADER_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
  const head = decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAGLEN));
  const tail = decipher.final();
  return new Uint8Array(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

function refused(): SealPushError {
  return new SealPushError('ERR_INTERNAL', 'a stored payload failed to authenticate');
}

/** The keys a blob of each format opens under; a format without a key is refused. */
function opener(keys: ReadonlyMap<number, KeyObject>): PayloadCipher['open'] {
  return (sealed, aad) => {
    const key = sealed.length >= HEADER_BYTES + TAGLEN ? keys.get(sealed[0]!) : undefined;
    if (key === undefined) throw refused();
    try {
      return open(key, sealed, aad);
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
    seal: (plaintext, aad) => seal(key, AT_REST_FORMAT, plaintext, aad),
    open: opener(new Map([[AT_REST_FORMAT, key]])),
  };
}

/** K_c of one client, as the format-2 comment above defines it. */
export function deriveClientKey(payloadKey: Uint8Array, keySalt: Uint8Array, appId: string, clientId: string): Uint8Array {
  if (keySalt.length !== KEY_SALT_BYTES) throw new RangeError(`a client key salt is ${KEY_SALT_BYTES} bytes`);
  const info = Buffer.from(`sealpush-client-payload-v1\n${appId}\n${clientId}`, 'utf8');
  return new Uint8Array(hkdfSync('sha256', payloadKey, keySalt, info, KEYLEN));
}

/** HKDF info of K_f, the key of a client's publish fingerprints (derived from K_c, no salt). */
const FINGERPRINT_INFO = Buffer.from('sealpush-idempotency-v1', 'utf8');

/**
 * Per-client ciphers from the node's payload key. Each seals format 2 under its client's key
 * and opens format 2 with it, and format 1 (written before per-client keys) with the payload key.
 * Its fingerprints are HMAC-SHA-256 under K_f = HKDF-SHA-256(ikm = K_c, info =
 * "sealpush-idempotency-v1"): forgetting the client (its salt) destroys K_f with K_c.
 */
export function createPayloadKeyring(payloadKey32: Uint8Array): PayloadKeyring {
  const root = Uint8Array.from(payloadKey32);
  const legacy = secretKey(root, 'a payload key');
  return {
    forClient({ id, appId, keySalt }) {
      const clientKey = deriveClientKey(root, keySalt, appId, id);
      const key = secretKey(clientKey, 'a client key');
      // K_f only where a publish needs it: a delivering connection's cipher never does.
      let macKey: KeyObject | undefined;
      return {
        seal: (plaintext, aad) => seal(key, AT_REST_CLIENT_FORMAT, plaintext, aad),
        open: opener(new Map([[AT_REST_CLIENT_FORMAT, key], [AT_REST_FORMAT, legacy]])),
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
    seal: (plaintext, aad) => seal(key, BUS_ENVELOPE_FORMAT, plaintext, aad),
    open: opener(new Map([[BUS_ENVELOPE_FORMAT, key]])),
  };
}
