import { SealPushError } from '../errors.js';
import type { ClientPayloadCipher } from '../ports/payload-cipher.js';
import type { PublishRequest } from '../publish-request.js';
import type { MessageRecord } from '../types.js';

/*
 * The idempotency check of a publish (docs/api.md, "Idempotency"), as Stripe does it: a
 * message id already stored answers a retry with the same parameters as the stored message's
 * status, and refuses other parameters with ERR_IDEMPOTENCY_CONFLICT, changing nothing.
 *
 * The parameters that define a message are `to`, `ttl` (the effective one, the default when
 * absent) and `data` as the server re-serialises it (JSON.stringify of the parsed value: the
 * same value with its keys in the same order; whitespace does not matter). Payloads are sealed
 * at rest and erased on ack, so the store keeps a fingerprint instead: a keyed MAC under the
 * recipient's fingerprint key (ClientPayloadCipher.fingerprint), which a database reader
 * cannot use to confirm a guessed payload.
 */

const utf8 = new TextEncoder();

/** The canonical encoding of a publish's parameters: version tag, ttl, to, then data. */
function encodeParameters(request: PublishRequest): Uint8Array {
  const head = utf8.encode(`sealpush-publish-v1\n${request.ttlSeconds}\n${request.to}\n`);
  const out = new Uint8Array(head.length + request.data.length);
  out.set(head);
  out.set(request.data, head.length);
  return out;
}

/** The fingerprint to store with a new message of `request` (NewMessage.fingerprint). */
export function publishFingerprint(cipher: ClientPayloadCipher, request: PublishRequest): Uint8Array {
  return cipher.fingerprint(encodeParameters(request));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Whether a stored message answers a publish of the same id: another recipient never does;
 * another fingerprint does not either. A row stored before fingerprints (none) answers as a
 * duplicate whatever its other parameters, as it did then.
 */
export function sameParameters(existing: MessageRecord, to: string, fingerprint: Uint8Array | undefined): boolean {
  if (existing.clientId !== to) return false;
  if (existing.fingerprint == null || fingerprint === undefined) return true;
  return sameBytes(existing.fingerprint, fingerprint);
}

export function idempotencyConflict(id: string): SealPushError {
  return new SealPushError('ERR_IDEMPOTENCY_CONFLICT', `Message id "${id}" was already used with other parameters (to, data or ttl); nothing was stored. Use a new id for a new message`);
}
