// Cohort envelopes (src/crypto/cohort.ts): known-answer vectors on the server's and the browser SDK's crypto,
// each member opens exactly its own slot, tags and keys do not carry over between ticks, the
// envelope counter in each slot is authenticated, and a malformed or altered envelope is
// refused with a catalogue code.
import { strict as assert } from 'node:assert';
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  COHORT_SLOT_OVERHEAD,
  COHORT_TAG_BYTES,
  COHORT_VERSION,
  decodeCohortHeader,
  deriveSlotKeys,
  encodeCohortHeader,
  openCohortEnvelope,
  sealCohortEnvelope,
  slotCapacity,
  type CohortHeader,
} from '../../src/crypto/cohort.js';
import { hexDecode, hexEncode, utf8Encode } from '../../src/crypto/encoding.js';
import { DELIVER_HEADER_BYTES } from '../../src/crypto/frames.js';
import type { NoiseCrypto } from '../../src/crypto/noise/primitives.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import type { CohortVectors } from '../../src/crypto/vectors/cohort-schema.js';
import { MIN_LARGEST_SLOT_BYTES } from '../../src/domain/delivery-settings.js';
import { webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

const v = JSON.parse(
  readFileSync(new URL('../../src/crypto/vectors/sealpush-cohort-v3.json', import.meta.url), 'utf8'),
) as CohortVectors;

const IMPLEMENTATIONS: [string, NoiseCrypto][] = [
  ['node:crypto + sodium-native', nodeNoiseCrypto],
  ['WebCrypto + @noble/ciphers', webNoiseCrypto],
];

function headerOf(tick: CohortVectors['ticks'][number]): CohortHeader {
  return { appId: v.appId, tick: tick.tick, salt: hexDecode(tick.salt), slotCount: tick.slotCount, slotBytes: tick.slotBytes };
}

function streamOf(hex: string): (n: number) => Uint8Array {
  const stream = hexDecode(hex);
  let offset = 0;
  return (n) => {
    assert.ok(offset + n <= stream.length, 'the builder reads exactly the recorded random stream');
    const out = stream.slice(offset, offset + n);
    offset += n;
    return out;
  };
}

/** The derivation of docs/protocol.md written out with plain HMAC, independent of noiseHkdf. */
function referenceSlotKeys(secret: Uint8Array, header: CohortHeader): { tag: string; key: string } {
  const appId = utf8Encode(header.appId);
  const tick = Buffer.alloc(8);
  tick.writeBigUInt64BE(BigInt(header.tick));
  const context = Buffer.concat([Buffer.from('sealpush cohort v1'), Buffer.of(appId.length), appId, tick, header.salt]);
  const temp = createHmac('sha256', secret).update(context).digest();
  const output1 = createHmac('sha256', temp).update(Buffer.of(0x01)).digest();
  const output2 = createHmac('sha256', temp).update(Buffer.concat([output1, Buffer.of(0x02)])).digest();
  return { tag: output1.subarray(0, COHORT_TAG_BYTES).toString('hex'), key: output2.toString('hex') };
}

function flip(bytes: Uint8Array, at: number): void {
  bytes[at] = bytes[at]! ^ 1;
}

const members = v.members.map((m) => ({ secret: hexDecode(m.secret), bundle: hexDecode(m.bundle) }));

/** The members as the builder takes them at `tick`: each with its connection's envelope counter. */
function recipientsAt(tick: CohortVectors['ticks'][number]) {
  return members.map((m, i) => ({ ...m, counter: tick.counters[i]! }));
}

/** Where the slot of `secret` starts in `envelope` (its tag), or -1. */
async function slotOffset(envelope: Uint8Array, secret: Uint8Array): Promise<number> {
  const { header, headerBytes } = decodeCohortHeader(envelope);
  const { tag } = await deriveSlotKeys(nodeNoiseCrypto, secret, header);
  for (let s = 0; s < header.slotCount; s++) {
    const at = headerBytes + s * header.slotBytes;
    if (hexEncode(envelope.subarray(at, at + COHORT_TAG_BYTES)) === hexEncode(tag)) return at;
  }
  return -1;
}

describe('cohort envelopes: known-answer vectors', () => {
  for (const tick of v.ticks) {
    it(`tick ${tick.tick}: tags and slot keys follow the documented derivation`, () => {
      members.forEach((m, i) => assert.deepEqual(referenceSlotKeys(m.secret, headerOf(tick)), tick.slots[i]));
    });
  }
  for (const [name, crypto] of IMPLEMENTATIONS) {
    describe(name, () => {
      for (const tick of v.ticks) {
        it(`tick ${tick.tick}: derives every tag and key, builds the envelope byte for byte, and every member opens its bundle`, async () => {
          const header = headerOf(tick);
          for (const [i, m] of members.entries()) {
            const keys = await deriveSlotKeys(crypto, m.secret, header);
            assert.deepEqual({ tag: hexEncode(keys.tag), key: hexEncode(keys.key) }, tick.slots[i]);
          }
          const envelope = await sealCohortEnvelope(crypto, header, recipientsAt(tick), streamOf(tick.random));
          assert.equal(hexEncode(envelope), tick.envelope);
          assert.equal(hexEncode(envelope.subarray(0, tick.header.length / 2)), tick.header);
          for (const r of recipientsAt(tick)) assert.deepEqual(await openCohortEnvelope(crypto, r.secret, envelope), { counter: r.counter, bundle: r.bundle });
          assert.equal(await openCohortEnvelope(crypto, hexDecode(v.outsiderSecret), envelope), null, 'an outsider finds no slot');
        });
      }
    });
  }
});

describe('cohort envelopes: who can open what', () => {
  const crypto = nodeNoiseCrypto;
  const [first, second] = v.ticks;

  it('each member opens exactly its own slot: no other slot opens under its key', async () => {
    const header = headerOf(first!);
    const envelope = hexDecode(first!.envelope);
    const { headerBytes } = decodeCohortHeader(envelope);
    const aad = envelope.subarray(0, headerBytes);
    for (const [i, m] of members.entries()) {
      const { tag, key } = await deriveSlotKeys(crypto, m.secret, header);
      let opened = 0;
      for (let s = 0; s < header.slotCount; s++) {
        const slot = envelope.subarray(headerBytes + s * header.slotBytes, headerBytes + (s + 1) * header.slotBytes);
        const mine = hexEncode(slot.subarray(0, COHORT_TAG_BYTES)) === hexEncode(tag);
        const result = await crypto.decrypt(key, 0, aad, slot.subarray(COHORT_TAG_BYTES)).then(
          () => true,
          () => false,
        );
        assert.equal(result, mine, `member ${i}, slot ${s}`);
        if (result) opened++;
      }
      assert.equal(opened, 1, `member ${i} opens one slot`);
    }
  });

  it("a member's slot key of an older tick opens nothing at a later tick, and its tag is not there", async () => {
    const older = await deriveSlotKeys(crypto, members[1]!.secret, headerOf(first!));
    const later = hexDecode(second!.envelope);
    const { header, headerBytes } = decodeCohortHeader(later);
    for (let s = 0; s < header.slotCount; s++) {
      const slot = later.subarray(headerBytes + s * header.slotBytes, headerBytes + (s + 1) * header.slotBytes);
      assert.notEqual(hexEncode(slot.subarray(0, COHORT_TAG_BYTES)), hexEncode(older.tag));
      await assert.rejects(crypto.decrypt(older.key, 0, later.subarray(0, headerBytes), slot.subarray(COHORT_TAG_BYTES)));
    }
  });

  it("one client's tags differ across ticks, and across envelopes of one tick (fresh salt)", async () => {
    const secret = members[0]!.secret;
    const tags = new Set<string>();
    for (let tick = 0; tick < 50; tick++) {
      for (let k = 0; k < 2; k++) {
        const header: CohortHeader = { appId: v.appId, tick, salt: randomBytes(16), slotCount: 1, slotBytes: 64 };
        tags.add(hexEncode((await deriveSlotKeys(crypto, secret, header)).tag));
      }
    }
    assert.equal(tags.size, 100);
  });

  it('an envelope has the same length whether its members have 0, 1 or many messages', async () => {
    const header: CohortHeader = { appId: v.appId, tick: 9, salt: randomBytes(16), slotCount: 8, slotBytes: 256 };
    const secrets = Array.from({ length: 3 }, () => randomBytes(32));
    const lengths = new Set<number>();
    for (const sizes of [[0, 0, 0], [1, 0, 0], [slotCapacity(256), 17, 3]]) {
      const recipients = secrets.map((secret, i) => ({ secret, counter: i, bundle: randomBytes(sizes[i]!) }));
      const envelope = await sealCohortEnvelope(crypto, header, recipients, (n) => randomBytes(n));
      lengths.add(envelope.length);
      for (const r of recipients) assert.deepEqual(await openCohortEnvelope(crypto, r.secret, envelope), { counter: r.counter, bundle: new Uint8Array(r.bundle) });
    }
    assert.deepEqual([...lengths], [decodeCohortHeader(hexDecode(v.ticks[0]!.envelope)).headerBytes + 8 * 256]);
  });
});

describe('cohort envelopes: bad input', () => {
  const crypto = nodeNoiseCrypto;
  const envelope = hexDecode(v.ticks[0]!.envelope);

  it('a truncated, extended, unknown-version (1: no counter; 2: AES-GCM; 4) or empty envelope is ERR_PROTOCOL', async () => {
    const bad = [
      envelope.subarray(0, envelope.length - 1),
      new Uint8Array([...envelope, 0]),
      Uint8Array.of(1, ...envelope.subarray(1)),
      Uint8Array.of(2, ...envelope.subarray(1)),
      Uint8Array.of(4, ...envelope.subarray(1)),
      new Uint8Array(0),
      envelope.subarray(0, 10),
    ];
    for (const bytes of bad) {
      await assert.rejects(openCohortEnvelope(crypto, members[0]!.secret, bytes), { code: 'ERR_PROTOCOL' });
    }
  });

  it("an altered byte in a member's slot is ERR_FRAME for that member; the others still open theirs", async () => {
    const at = await slotOffset(envelope, members[2]!.secret);
    assert.ok(at >= 0);
    const altered = envelope.slice();
    flip(altered, at + COHORT_TAG_BYTES + 13);
    await assert.rejects(openCohortEnvelope(crypto, members[2]!.secret, altered), { code: 'ERR_FRAME' });
    assert.deepEqual(await openCohortEnvelope(crypto, members[1]!.secret, altered), { counter: v.ticks[0]!.counters[1], bundle: members[1]!.bundle });
  });

  it('an altered header (the salt) hides every slot from every member', async () => {
    const { headerBytes } = decodeCohortHeader(envelope);
    const altered = envelope.slice();
    flip(altered, headerBytes - 7); // the last byte of the salt
    for (const m of members) assert.equal(await openCohortEnvelope(crypto, m.secret, altered), null);
  });

  it('random bytes never crash the opener: only catalogue errors or "no slot"', async () => {
    for (let i = 0; i < 300; i++) {
      const junk = randomBytes(1 + (i % 200));
      if (i % 3 === 0) junk[0] = COHORT_VERSION;
      try {
        const result = await openCohortEnvelope(crypto, members[0]!.secret, junk);
        assert.equal(result, null);
      } catch (err) {
        assert.ok(['ERR_PROTOCOL', 'ERR_FRAME'].includes((err as { code?: string }).code ?? ''), String(err));
      }
    }
  });

  it('the builder refuses what the format cannot carry', async () => {
    const header: CohortHeader = { appId: v.appId, tick: 1, salt: randomBytes(16), slotCount: 2, slotBytes: 128 };
    const secret = randomBytes(32);
    const random = (n: number) => randomBytes(n);
    const empty = { secret, counter: 0, bundle: new Uint8Array(0) };
    await assert.rejects(sealCohortEnvelope(crypto, header, [{ ...empty, bundle: randomBytes(128 - COHORT_SLOT_OVERHEAD + 1) }], random), { code: 'ERR_INTERNAL' });
    await assert.rejects(sealCohortEnvelope(crypto, { ...header, slotCount: 1 }, [empty, empty], random), { code: 'ERR_INTERNAL' });
    for (const counter of [-1, 1.5, 2 ** 53, Number.NaN]) {
      await assert.rejects(sealCohortEnvelope(crypto, header, [{ ...empty, counter }], random), { code: 'ERR_INTERNAL' }, `counter ${counter}`);
    }
    await assert.rejects(sealCohortEnvelope(crypto, { ...header, salt: new Uint8Array(8) }, [], random), { code: 'ERR_INTERNAL' });
    await assert.rejects(sealCohortEnvelope(crypto, { ...header, tick: -1 }, [], random), { code: 'ERR_INTERNAL' });
  });
});

describe('cohort envelopes: the envelope counter in each slot', () => {
  const crypto = nodeNoiseCrypto;
  const tick = v.ticks[0]!;
  const envelope = hexDecode(tick.envelope);
  const { headerBytes } = decodeCohortHeader(envelope);

  /**
   * A slot's body opened with node:crypto's ChaCha20-Poly1305, independent of the code under test
   * (sodium-native, @noble/ciphers).
   */
  function referenceBody(at: number, key: string): Buffer {
    const sealed = envelope.subarray(at + COHORT_TAG_BYTES, at + tick.slotBytes);
    const decipher = createDecipheriv('chacha20-poly1305', Buffer.from(key, 'hex'), Buffer.alloc(12), { authTagLength: 16 });
    decipher.setAAD(envelope.subarray(0, headerBytes), { plaintextLength: sealed.length - 16 });
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  }

  it('each slot body is [u64 counter][u32 bundleLength][bundle][zero padding], as documented', async () => {
    for (const [i, m] of members.entries()) {
      const body = referenceBody(await slotOffset(envelope, m.secret), tick.slots[i]!.key);
      assert.equal(body.length, tick.slotBytes - 32);
      assert.equal(body.readBigUInt64BE(0), BigInt(tick.counters[i]!), `member ${i}: its counter`);
      assert.equal(body.readUInt32BE(8), m.bundle.length);
      assert.deepEqual(new Uint8Array(body.subarray(12, 12 + m.bundle.length)), m.bundle);
      assert.ok(body.subarray(12 + m.bundle.length).every((b) => b === 0), 'zero padding');
    }
  });

  it("flipping any bit of a slot's counter (each of its 8 bytes) fails the AEAD: ERR_FRAME, never another counter", async () => {
    const secret = members[1]!.secret;
    const at = await slotOffset(envelope, secret);
    for (let byte = 0; byte < 8; byte++) {
      for (const bit of [0x01, 0x80]) {
        const altered = envelope.slice();
        altered[at + COHORT_TAG_BYTES + byte]! ^= bit; // ChaCha20 is a stream cipher: this would be counter ^ bit
        await assert.rejects(openCohortEnvelope(crypto, secret, altered), { code: 'ERR_FRAME' }, `byte ${byte}, bit ${bit}`);
      }
    }
  });

  it("a slot's counter is bound to its envelope: the same member's slot moved into another envelope does not open", async () => {
    const later = hexDecode(v.ticks[1]!.envelope);
    const secret = members[0]!.secret;
    const from = await slotOffset(envelope, secret);
    const to = await slotOffset(later, secret);
    const spliced = later.slice();
    // Keep the later tag (so the member finds a slot), carry over the older sealed body and counter.
    spliced.set(envelope.subarray(from + COHORT_TAG_BYTES, from + tick.slotBytes), to + COHORT_TAG_BYTES);
    await assert.rejects(openCohortEnvelope(crypto, secret, spliced), { code: 'ERR_FRAME' });
  });

  it('the counter leaves room for the largest message in the smallest allowed largest slot', () => {
    assert.ok(slotCapacity(MIN_LARGEST_SLOT_BYTES) >= DELIVER_HEADER_BYTES + 21 + 255 + 65_536);
  });

  it('a counter above 2^53-1 inside an authentic slot is ERR_PROTOCOL', async () => {
    const secret = randomBytes(32);
    const header: CohortHeader = { appId: v.appId, tick: 5, salt: randomBytes(16), slotCount: 1, slotBytes: 64 };
    const aad = encodeCohortHeader(header);
    const { tag, key } = await deriveSlotKeys(crypto, secret, header);
    const body = new Uint8Array(64 - 32);
    body.set([0x00, 0x20, 0, 0, 0, 0, 0, 0]); // 2^53
    const envelopeBytes = new Uint8Array([...aad, ...tag, ...(await crypto.encrypt(key, 0, aad, body))]);
    await assert.rejects(openCohortEnvelope(crypto, secret, envelopeBytes), { code: 'ERR_PROTOCOL' });
  });
});
