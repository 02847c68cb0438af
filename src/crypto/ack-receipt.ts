/**
 * Signed ACKs (docs/receipts.md): what a client signs when it acknowledges messages, so that
 * a delivery can be shown to a third party later without trusting sealpush. Pure and
 * browser-safe: the SDK signs these bytes, the server and `verifyReceipt` rebuild them.
 *
 *   signed = "sealpush-ack-v1" || u8 appIdLen || appId || u8 clientIdLen || clientId
 *            || u64 fromSeq || u64 uptoSeq || SHA-256(covered)
 *   covered = for each message the ACK covers, in seq order: u64 seq || u8 idLen || id
 *
 * Strings are UTF-8, integers big-endian. `covered` lists the messages this connection
 * delivered with fromSeq < seq <= uptoSeq, where fromSeq is the previous ACK's uptoSeq on
 * the same connection (0 for its first): both ends derive it from the frames they exchanged.
 */

import { base64urlEncode, concatBytes, readU64, utf8Decode, utf8Encode, writeU64 } from './encoding.js';

/** Domain label of the signed bytes: a signature over them is never valid for anything else. */
export const ACK_SIGNED_LABEL = 'sealpush-ack-v1';
/** An Ed25519 public key, raw. */
export const ACK_KEY_BYTES = 32;
/** An Ed25519 signature. */
export const ACK_SIGNATURE_BYTES = 64;
/** Domain separation of the ack key fingerprint (as the server key's, with its own label). */
export const ACK_KEY_FINGERPRINT_CONTEXT = 'sealpush-ack-key-v1';

/** One message an ACK covers. */
export interface CoveredMessage {
  readonly seq: number;
  readonly id: string;
}

/** The fields a signed ACK binds, besides the covered list's digest. */
export interface AckStatement {
  readonly appId: string;
  readonly clientId: string;
  readonly fromSeq: number;
  readonly uptoSeq: number;
}

/**
 * `u64 seq || u8 idLen || id` per message, in the order given (seq order). Written into one
 * buffer: the server builds this for every signed ACK it checks.
 */
export function encodeCoveredList(messages: readonly CoveredMessage[]): Uint8Array {
  const ids = messages.map(({ id }) => utf8Encode(id));
  let length = 0;
  for (const idBytes of ids) {
    if (idBytes.length < 1 || idBytes.length > 0xff) throw new RangeError('a message id is 1..255 UTF-8 bytes');
    length += 9 + idBytes.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  messages.forEach(({ seq }, i) => {
    const idBytes = ids[i]!;
    writeU64(out, offset, seq);
    out[offset + 8] = idBytes.length;
    out.set(idBytes, offset + 9);
    offset += 9 + idBytes.length;
  });
  return out;
}

/** Inverse of encodeCoveredList; throws RangeError on bytes it did not write. */
export function decodeCoveredList(bytes: Uint8Array): CoveredMessage[] {
  const out: CoveredMessage[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 9 > bytes.length) throw new RangeError('covered list truncated');
    const seq = readU64(bytes, offset);
    const idLength = bytes[offset + 8]!;
    offset += 9;
    if (idLength === 0 || offset + idLength > bytes.length) throw new RangeError('covered list truncated');
    out.push({ seq, id: utf8Decode(bytes.subarray(offset, offset + idLength)) });
    offset += idLength;
  }
  return out;
}

function shortString(text: string, what: string): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes.length < 1 || bytes.length > 0xff) throw new RangeError(`${what} is 1..255 UTF-8 bytes`);
  return concatBytes(Uint8Array.of(bytes.length), bytes);
}

/** The exact bytes the client's ack key signs. `coveredDigest` = SHA-256(encodeCoveredList(...)). */
export function ackSignedBytes(statement: AckStatement, coveredDigest: Uint8Array): Uint8Array {
  if (coveredDigest.length !== 32) throw new RangeError('the covered digest is 32 bytes');
  const seqs = new Uint8Array(16);
  writeU64(seqs, 0, statement.fromSeq);
  writeU64(seqs, 8, statement.uptoSeq);
  return concatBytes(
    utf8Encode(ACK_SIGNED_LABEL),
    shortString(statement.appId, 'appId'),
    shortString(statement.clientId, 'clientId'),
    seqs,
    coveredDigest,
  );
}

/** A client's ack key pair as an SDK holds it: the seed is what its saved session keeps. */
export interface AckKeyPair {
  /** 32 raw bytes. */
  readonly publicKey: Uint8Array;
  /** The 32-byte Ed25519 private key (RFC 8032 seed). A secret: kept in the saved session only. */
  readonly seed: Uint8Array;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Ed25519 and SHA-256 for the SDK: WebCrypto in browsers, node:crypto in the Node entry. */
export interface AckKeyCrypto {
  generate(): Promise<AckKeyPair>;
  fromSeed(seed: Uint8Array): Promise<AckKeyPair>;
  sha256(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * What an application records when a client hands it its ack key, and shows a person to
 * compare: the first 16 characters of base64url(SHA-256("sealpush-ack-key-v1" || publicKey)).
 */
export async function ackKeyFingerprint(publicKey: Uint8Array, sha256: (data: Uint8Array) => Promise<Uint8Array>): Promise<string> {
  const digest = await sha256(concatBytes(utf8Encode(ACK_KEY_FINGERPRINT_CONTEXT), publicKey));
  return base64urlEncode(digest).slice(0, 16);
}
