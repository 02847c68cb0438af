/**
 * The two wrappers a publisher may put in a message's `data` (docs/relay-blind.md), and the
 * exact bytes each binds. sealpush itself needs no special path for them: it stores and
 * forwards `data` as any JSON. Shared, unchanged, by the app SDK (which writes them), the
 * client SDK (which opens and checks them) and the server (which checks signatures when the
 * app registered a key). Pure: no I/O, no platform crypto.
 *
 *   sealed: {"sealpush:hpke":1,"enc":"<base64url 32 bytes>","ct":"<base64url>"}
 *   signed: {"sealpush:sig":1,"payload":"<JSON text>","sig":"<base64url 64 bytes>"}
 *
 * A signed wrapper's payload is JSON *text*, not a value, so the signed bytes survive the
 * server's parse and re-serialisation of `data` unchanged (a JSON string round-trips exactly;
 * numbers and key order need not).
 */
import { SealPushError } from './errors.js';

export const SEALED_TAG = 'sealpush:hpke';
export const SIGNED_TAG = 'sealpush:sig';
/** HPKE `info` begins with this label, then the message's binding. */
export const SEAL_LABEL = 'sealpush hpke v1';
/** The signed byte string begins with this label. */
export const SIGNATURE_LABEL = 'sealpush sig v1';
export const HPKE_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface SealedWrapper {
  /** The HPKE encapsulated key (32 bytes for X25519), base64url. */
  readonly enc: string;
  /** The AEAD ciphertext of the UTF-8 JSON text of the data, base64url. */
  readonly ct: string;
}

export interface SignedWrapper {
  /** The JSON text signed: the data's, or a sealed wrapper's (sealed, then signed). */
  readonly payload: string;
  /** The Ed25519 signature of `signedBytes(...)`, base64url of 64 bytes. */
  readonly sig: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextEncoder();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

function base64urlOfLength(value: unknown, bytes: number): boolean {
  return typeof value === 'string' && BASE64URL.test(value) && value.length === Math.ceil((bytes * 4) / 3);
}

/**
 * The sealed wrapper in `data`, undefined when `data` is no sealed wrapper at all (no tag), or
 * throws ERR_SEALED_MESSAGE when it carries the tag but is malformed.
 */
export function parseSealedWrapper(data: unknown): SealedWrapper | undefined {
  if (!isPlainObject(data) || !Object.hasOwn(data, SEALED_TAG)) return undefined;
  const { enc, ct } = data;
  const ok = data[SEALED_TAG] === 1 && hasExactly(data, [SEALED_TAG, 'enc', 'ct'])
    && base64urlOfLength(enc, HPKE_KEY_BYTES) && typeof ct === 'string' && BASE64URL.test(ct) && ct.length >= 22;
  if (!ok) throw new SealPushError('ERR_SEALED_MESSAGE', 'A sealed message wrapper is malformed');
  return { enc: enc as string, ct: ct as string };
}

/**
 * The signed wrapper in `data`, undefined when `data` carries no signature tag, or throws
 * `ERR_MESSAGE_SIGNATURE` when it carries the tag but is malformed.
 */
export function parseSignedWrapper(data: unknown): SignedWrapper | undefined {
  if (!isPlainObject(data) || !Object.hasOwn(data, SIGNED_TAG)) return undefined;
  const { payload, sig } = data;
  const ok = data[SIGNED_TAG] === 1 && hasExactly(data, [SIGNED_TAG, 'payload', 'sig'])
    && typeof payload === 'string' && base64urlOfLength(sig, ED25519_SIGNATURE_BYTES);
  if (!ok) throw new SealPushError('ERR_MESSAGE_SIGNATURE', 'A signed message wrapper is malformed');
  return { payload: payload as string, sig: sig as string };
}

/** The wrapper objects, with their keys in the documented order. */
export function sealedWrapper(wrapper: SealedWrapper): Record<string, unknown> {
  return { [SEALED_TAG]: 1, enc: wrapper.enc, ct: wrapper.ct };
}

export function signedWrapper(wrapper: SignedWrapper): Record<string, unknown> {
  return { [SIGNED_TAG]: 1, payload: wrapper.payload, sig: wrapper.sig };
}

/** Which message a seal or signature is for: all three ids, each bound. */
export interface MessageBinding {
  readonly appId: string;
  readonly clientId: string;
  readonly messageId: string;
}

/** label || u16 len || appId || u16 len || clientId || u16 len || messageId (UTF-8, big-endian lengths). */
function bindingBytes(label: string, binding: MessageBinding, tailLength: number): { bytes: Uint8Array<ArrayBuffer>; offset: number } {
  const parts = [utf8.encode(label), ...[binding.appId, binding.clientId, binding.messageId].map((s) => utf8.encode(s))];
  const length = parts[0]!.length + parts.slice(1).reduce((n, p) => n + 2 + p.length, 0);
  const bytes = new Uint8Array(length + tailLength);
  bytes.set(parts[0]!, 0);
  let offset = parts[0]!.length;
  for (const part of parts.slice(1)) {
    if (part.length > 0xffff) throw new SealPushError('ERR_BAD_REQUEST', 'An id is too long to bind');
    bytes[offset] = part.length >> 8;
    bytes[offset + 1] = part.length & 0xff;
    bytes.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return { bytes, offset };
}

/** HPKE `info` of a sealed message: SEAL_LABEL and the binding. */
export function sealInfo(binding: MessageBinding): Uint8Array<ArrayBuffer> {
  return bindingBytes(SEAL_LABEL, binding, 0).bytes;
}

/** What a publisher signs: SIGNATURE_LABEL, the binding, then u32 len || the payload's UTF-8. */
export function signedBytes(binding: MessageBinding, payload: string): Uint8Array<ArrayBuffer> {
  const text = utf8.encode(payload);
  const { bytes, offset } = bindingBytes(SIGNATURE_LABEL, binding, 4 + text.length);
  new DataView(bytes.buffer).setUint32(offset, text.length);
  bytes.set(text, offset + 4);
  return bytes;
}
