/**
 * Cohort envelopes (DESIGN.md section 5; docs/protocol.md, "Cohort envelopes"): the results of
 * many clients sealed into one message that every member of the cohort receives, byte for
 * byte the same, at the same tick, whether or not anything in it is for that member.
 * Browser-safe: everything goes through an injected NoiseCrypto of the channel's suite
 * (node:crypto and sodium-native on the server and the Node SDK, WebCrypto and @noble/ciphers
 * in the browser SDK), so every side passes the same known-answer vectors.
 *
 * Envelope = header || slot * slotCount. Header, big-endian:
 *   [u8 version = 3][u8 appIdLength][appId UTF-8][u64 tick][16 salt][u16 slotCount][u32 slotBytes]
 * Slot (slotBytes each) = tag(16) || ChaCha20-Poly1305(slotKey, nonce 0, ad = header, body) || aeadTag(16)
 * Body (slotBytes - 32) = [u64 envelopeCounter][u32 bundleLength][bundle][zero padding]
 *
 * The envelope counter is the member's connection's own: 0 in the first envelope that holds a
 * slot for that connection, one more in each later one. Envelopes are not transport frames, so
 * nothing else tells a member that one went missing on the way; the counter, authenticated by
 * the slot's AEAD, does (docs/protocol.md section 7.1).
 *
 * Per member and tick, from the member's session secret (32 bytes, exported by the Noise
 * handshake, never sent): Noise's HKDF (section 4.3) with chaining key = secret and input =
 * "sealpush cohort v1" || u8 appIdLength || appId || u64 tick || salt gives output1, output2;
 * tag = output1[0..16], slotKey = output2. A slot key seals exactly one slot, once, so the
 * constant nonce 0 never repeats under a key; a fresh random salt per envelope makes tags and
 * keys unlinkable across ticks (and across envelopes of one tick). Slots beyond the members are
 * random bytes, and all slots are shuffled: a slot with an empty bundle, a real one and a
 * filler look alike to anyone without the member's secret. The label still says v1: it names
 * the derivation, which versions 2 and 3 left as it was; the header's version byte, part of
 * every slot's associated data, keeps the body formats (2: the envelope counter) and the
 * ciphers (3: ChaCha20-Poly1305 instead of AES-256-GCM, with protocol version 3) apart.
 */

import { SealPushError } from '../domain/errors.js';
import { concatBytes, readU64, utf8Decode, utf8Encode, writeU64 } from './encoding.js';
import { noiseHkdf } from './noise/symmetric-state.js';
import type { NoiseCrypto } from './noise/primitives.js';

export const COHORT_VERSION = 3;
export const COHORT_TAG_BYTES = 16;
export const COHORT_SALT_BYTES = 16;
const AEAD_TAG_BYTES = 16;
const COUNTER_BYTES = 8;
const LENGTH_BYTES = 4;
/** Bytes a slot spends on anything but its bundle. */
export const COHORT_SLOT_OVERHEAD = COHORT_TAG_BYTES + AEAD_TAG_BYTES + COUNTER_BYTES + LENGTH_BYTES;
/** Smallest slot: room for a small bundle. */
export const MIN_SLOT_BYTES = 64;
export const MAX_SLOT_BYTES = 0xffff_ffff;
export const MAX_SLOT_COUNT = 0xffff;
const MAX_APP_ID_BYTES = 0xff;
const LABEL = utf8Encode('sealpush cohort v1');

/** What every member reads first; the header is also each slot's associated data. */
export interface CohortHeader {
  readonly appId: string;
  /** The tick number: increases by one per tick of the cohort's clock. */
  readonly tick: number;
  /** 16 fresh random bytes per envelope. */
  readonly salt: Uint8Array;
  readonly slotCount: number;
  readonly slotBytes: number;
}

/** What one member's slot carries. */
export interface CohortSlot {
  /** The member's connection's envelope counter: 0 in its first envelope, then +1 per envelope. */
  readonly counter: number;
  /** A DELIVER plaintext, or empty when nothing is for the member. */
  readonly bundle: Uint8Array;
}

/** One member's share of an envelope: its session secret and what its slot carries. */
export interface CohortRecipient extends CohortSlot {
  readonly secret: Uint8Array;
}

/** The tag and the one-time slot key of one member for one envelope. */
export interface SlotKeys {
  readonly tag: Uint8Array;
  readonly key: Uint8Array;
}

/** Random bytes: the platform's CSPRNG in use, a fixed stream in the vectors. */
export type RandomSource = (length: number) => Uint8Array;

function internal(detail: string): SealPushError {
  return new SealPushError('ERR_INTERNAL', `cannot build cohort envelope: ${detail}`);
}

function malformed(detail: string): SealPushError {
  return new SealPushError('ERR_PROTOCOL', `malformed cohort envelope: ${detail}`);
}

/** The bundle a slot of `slotBytes` can carry. */
export function slotCapacity(slotBytes: number): number {
  return slotBytes - COHORT_SLOT_OVERHEAD;
}

export function encodeCohortHeader(header: CohortHeader): Uint8Array {
  const appId = utf8Encode(header.appId);
  if (appId.length < 1 || appId.length > MAX_APP_ID_BYTES) throw internal('appId must be 1..255 UTF-8 bytes');
  if (!Number.isSafeInteger(header.tick) || header.tick < 0) throw internal('tick out of range');
  if (header.salt.length !== COHORT_SALT_BYTES) throw internal('salt must be 16 bytes');
  if (!Number.isInteger(header.slotCount) || header.slotCount < 1 || header.slotCount > MAX_SLOT_COUNT) {
    throw internal('slotCount out of range');
  }
  if (!Number.isInteger(header.slotBytes) || header.slotBytes < MIN_SLOT_BYTES || header.slotBytes > MAX_SLOT_BYTES) {
    throw internal('slotBytes out of range');
  }
  const out = new Uint8Array(2 + appId.length + 8 + COHORT_SALT_BYTES + 2 + 4);
  const view = new DataView(out.buffer);
  out[0] = COHORT_VERSION;
  out[1] = appId.length;
  out.set(appId, 2);
  let offset = 2 + appId.length;
  writeU64(out, offset, header.tick);
  offset += 8;
  out.set(header.salt, offset);
  offset += COHORT_SALT_BYTES;
  view.setUint16(offset, header.slotCount);
  view.setUint32(offset + 2, header.slotBytes);
  return out;
}

/** Parses the header of an envelope and checks its length; throws ERR_PROTOCOL. */
export function decodeCohortHeader(envelope: Uint8Array): { header: CohortHeader; headerBytes: number } {
  if (envelope.length < 2) throw malformed('too short');
  if (envelope[0] !== COHORT_VERSION) throw malformed(`unknown version ${envelope[0]}`);
  const appIdLength = envelope[1]!;
  const headerBytes = 2 + appIdLength + 8 + COHORT_SALT_BYTES + 2 + 4;
  if (appIdLength === 0 || envelope.length < headerBytes) throw malformed('truncated header');
  let appId: string;
  try {
    appId = utf8Decode(envelope.subarray(2, 2 + appIdLength));
  } catch {
    throw malformed('appId is not UTF-8');
  }
  let offset = 2 + appIdLength;
  let tick: number;
  try {
    tick = readU64(envelope, offset);
  } catch {
    throw malformed('tick out of range');
  }
  offset += 8;
  const salt = envelope.slice(offset, offset + COHORT_SALT_BYTES);
  offset += COHORT_SALT_BYTES;
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const slotCount = view.getUint16(offset);
  const slotBytes = view.getUint32(offset + 2);
  if (slotCount < 1) throw malformed('no slots');
  if (slotBytes < MIN_SLOT_BYTES) throw malformed('slots too small');
  if (envelope.length !== headerBytes + slotCount * slotBytes) throw malformed('length does not match its slots');
  return { header: { appId, tick, salt, slotCount, slotBytes }, headerBytes };
}

/** Derives one member's tag and slot key for the envelope `header` describes. */
export async function deriveSlotKeys(crypto: NoiseCrypto, secret: Uint8Array, header: CohortHeader): Promise<SlotKeys> {
  if (secret.length !== 32) throw internal('a session secret is 32 bytes');
  const appId = utf8Encode(header.appId);
  const tick = new Uint8Array(8);
  writeU64(tick, 0, header.tick);
  const context = concatBytes(LABEL, Uint8Array.of(appId.length), appId, tick, header.salt);
  const [output1, output2] = await noiseHkdf(crypto, secret, context, 2);
  return { tag: output1!.slice(0, COHORT_TAG_BYTES), key: output2! };
}

/** A uniform integer in [0, bound) from `random`, by rejection (no modulo bias). */
function uniform(random: RandomSource, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const b = random(4);
    const value = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (value < limit) return value % bound;
  }
}

/**
 * Builds one envelope: a slot per recipient, random filler slots up to `slotCount`, all
 * shuffled. Every bundle must fit `slotCapacity(slotBytes)`: choosing the size (and what waits
 * for the next tick) is the caller's. Throws ERR_INTERNAL on values the format cannot carry.
 */
export async function sealCohortEnvelope(
  crypto: NoiseCrypto,
  header: CohortHeader,
  recipients: readonly CohortRecipient[],
  random: RandomSource,
): Promise<Uint8Array> {
  const headerBytes = encodeCohortHeader(header);
  if (recipients.length > header.slotCount) throw internal('more recipients than slots');
  const capacity = slotCapacity(header.slotBytes);
  const slots: Uint8Array[] = [];
  for (const recipient of recipients) {
    if (recipient.bundle.length > capacity) throw internal('a bundle does not fit its slot');
    if (!Number.isSafeInteger(recipient.counter) || recipient.counter < 0) throw internal('envelope counter out of range');
    const { tag, key } = await deriveSlotKeys(crypto, recipient.secret, header);
    const body = new Uint8Array(header.slotBytes - COHORT_TAG_BYTES - AEAD_TAG_BYTES);
    writeU64(body, 0, recipient.counter);
    new DataView(body.buffer).setUint32(COUNTER_BYTES, recipient.bundle.length);
    body.set(recipient.bundle, COUNTER_BYTES + LENGTH_BYTES);
    const sealed = await crypto.encrypt(key, 0, headerBytes, body);
    slots.push(concatBytes(tag, sealed));
  }
  while (slots.length < header.slotCount) slots.push(random(header.slotBytes).slice());
  for (let i = slots.length - 1; i > 0; i--) {
    const j = uniform(random, i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return concatBytes(headerBytes, ...slots);
}

/**
 * A member's side: finds its slot by tag and opens it. Returns the slot's envelope counter and
 * bundle (empty when the server had nothing for this member), or null when no slot carries
 * this member's tag (the envelope is not for it). Checking the counter is the caller's: it
 * knows which one comes next. A slot whose tag matches but does not open throws ERR_FRAME: only
 * an altered envelope does that. Malformed envelopes throw ERR_PROTOCOL.
 */
export async function openCohortEnvelope(crypto: NoiseCrypto, secret: Uint8Array, envelope: Uint8Array): Promise<CohortSlot | null> {
  const { header, headerBytes } = decodeCohortHeader(envelope);
  const { tag, key } = await deriveSlotKeys(crypto, secret, header);
  for (let i = 0; i < header.slotCount; i++) {
    const start = headerBytes + i * header.slotBytes;
    if (!startsWith(envelope, start, tag)) continue;
    let body: Uint8Array;
    try {
      body = await crypto.decrypt(key, 0, envelope.subarray(0, headerBytes), envelope.subarray(start + COHORT_TAG_BYTES, start + header.slotBytes));
    } catch {
      throw new SealPushError('ERR_FRAME', 'a cohort slot with this client\'s tag failed to open');
    }
    let counter: number;
    try {
      counter = readU64(body, 0);
    } catch {
      throw malformed('envelope counter out of range');
    }
    const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(COUNTER_BYTES);
    const bundleAt = COUNTER_BYTES + LENGTH_BYTES;
    if (length > body.length - bundleAt) throw malformed('bundle length past its slot');
    return { counter, bundle: body.slice(bundleAt, bundleAt + length) };
  }
  return null;
}

function startsWith(bytes: Uint8Array, offset: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}
