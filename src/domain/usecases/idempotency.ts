import { SealPushError } from '../errors.js';
import type { ClientPayloadCipher } from '../ports/payload-cipher.js';
import type { PublishRequest } from '../publish-request.js';
import type { MessageRecord } from '../types.js';
import { parseSealedWrapper, parseSignedWrapper } from '../message-wrappers.js';
import { bytesEqual } from '../bytes.js';

/*
 * The idempotency check of a publish (docs/api.md, "Idempotency"), as Stripe does it: a
 * message id already stored answers a retry with the same parameters as the stored message's
 * status, and refuses other parameters with ERR_IDEMPOTENCY_CONFLICT, changing nothing.
 *
 * The parameters that define a message are `to`, `ttl` (the effective one, the default when
 * absent) and `data` as the server re-serialises it (JSON.stringify of the parsed value: the
 * same value with its keys in the same order; whitespace does not matter), except relay-blind
 * data, which is sealed anew on every publish (isRelayBlind). Payloads are sealed
 * at rest and erased on ack, so the store keeps a fingerprint instead: a keyed MAC under the
 * recipient's fingerprint key (ClientPayloadCipher.fingerprint), which a database reader
 * cannot use to confirm a guessed payload.
 */

const utf8 = new TextEncoder();

/**
 * Whether `data` is relay-blind (docs/relay-blind.md): a sealed wrapper, bare or signed. Its
 * HPKE seal is randomised, so the same message published again never has the same bytes, and
 * the server cannot see what is inside: its data takes no part in the fingerprint.
 */
function isRelayBlind(data: unknown): boolean {
  try {
    if (parseSealedWrapper(data) !== undefined) return true;
    const signed = parseSignedWrapper(data);
    return signed !== undefined && parseSealedWrapper(JSON.parse(signed.payload)) !== undefined;
  } catch {
    return false; // a malformed wrapper is not sealed: its data counts like any other
  }
}

/**
 * The canonical encoding of a publish's parameters: version tag, message id, ttl, to, then the
 * data or a mark. The id binds each fingerprint to its message, so that equal fingerprints
 * never tell a database reader that two messages carry the same data.
 */
function encodeParameters(id: string, request: PublishRequest, relayBlind: boolean): Uint8Array {
  const head = utf8.encode(`sealpush-publish-v1\n${id}\n${request.ttlSeconds}\n${request.to}\n${relayBlind ? 'sealed' : 'data'}\n`);
  const data = relayBlind ? new Uint8Array(0) : request.data;
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** The fingerprint to store with message `id` of `request` (NewMessage.fingerprint); `item` is its object as received. */
export function publishFingerprint(cipher: ClientPayloadCipher, id: string, request: PublishRequest, item: unknown): Uint8Array {
  return cipher.fingerprint(encodeParameters(id, request, isRelayBlind((item as { data?: unknown }).data)));
}

/**
 * Whether a stored message answers a publish of the same id: another recipient never does;
 * another fingerprint does not either. A row stored before fingerprints (none) answers as a
 * duplicate whatever its other parameters, as it did then.
 */
export function sameParameters(existing: MessageRecord, to: string, fingerprint: Uint8Array | undefined): boolean {
  if (existing.clientId !== to) return false;
  if (existing.fingerprint == null || fingerprint === undefined) return true;
  return bytesEqual(existing.fingerprint, fingerprint);
}

export function idempotencyConflict(id: string): SealPushError {
  return new SealPushError('ERR_IDEMPOTENCY_CONFLICT', `Message id "${id}" was already used with other parameters (to, data or ttl); nothing was stored. Use a new id for a new message`);
}
