import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import type { ProtocolVectors } from '../../src/crypto/vectors/schema.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { base64urlEncode, hexDecode, hexEncode, utf8Encode } from '../../src/crypto/encoding.js';
import { FRAME_TYPE, SIGNED_ACK_BYTES, decodeClientFrame, decodeServerFrame, encodeSignedAck } from '../../src/crypto/frames.js';
import { decodeClientHelloPayload, decodeServerHelloPayload, encodeClientHelloPayload, encodeServerHelloPayload } from '../../src/crypto/hello-payloads.js';
import { ackKeyFingerprint, ackSignedBytes, decodeCoveredList, encodeCoveredList } from '../../src/crypto/ack-receipt.js';
import { AckVerifier, nodeAckKeyCrypto } from '../../src/crypto/node/ack-key.js';
import { sha256 } from '../../src/crypto/node/sha256.js';
import { verifyEd25519, webAckKeyCrypto } from '../../src/crypto/web/ack-key.js';

const code = (expected: string) => (err: unknown) => isSealPushError(err) && err.code === expected;
const signature = Uint8Array.from({ length: 64 }, (_, i) => i);

describe('SIGNED_ACK frame', () => {
  it('round-trips: type 0x04, u64 seq, 64-byte signature', () => {
    const plaintext = encodeSignedAck(258, signature);
    assert.equal(plaintext.length, SIGNED_ACK_BYTES);
    assert.equal(hexEncode(plaintext.subarray(0, 9)), '040000000000000102');
    const frame = decodeClientFrame(plaintext);
    assert.equal(frame.type, 'signed-ack');
    assert.equal(frame.seq, 258);
    assert.deepEqual(frame.type === 'signed-ack' ? [...frame.signature] : [], [...signature]);
  });

  it('refuses every other length, a seq above 2^53-1, and the wrong direction', () => {
    const good = encodeSignedAck(1, signature);
    assert.throws(() => decodeClientFrame(good.subarray(0, SIGNED_ACK_BYTES - 1)), code('ERR_PROTOCOL'));
    assert.throws(() => decodeClientFrame(Uint8Array.of(...good, 0)), code('ERR_PROTOCOL'));
    assert.throws(() => decodeClientFrame(Uint8Array.of(FRAME_TYPE.SIGNED_ACK)), code('ERR_PROTOCOL'));
    const huge = new Uint8Array(good);
    huge.fill(0xff, 1, 9);
    assert.throws(() => decodeClientFrame(huge), code('ERR_PROTOCOL'));
    assert.throws(() => decodeServerFrame(good), code('ERR_PROTOCOL'));
    assert.throws(() => encodeSignedAck(1, signature.subarray(1)), code('ERR_INTERNAL'));
    assert.throws(() => encodeSignedAck(-1, signature), code('ERR_INTERNAL'));
  });
});

describe('ackKey in the handshake payloads', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  it('the client payload carries it as base64url of 32 bytes, and reads it back', () => {
    const bytes = encodeClientHelloPayload({ lastSeq: 4, ackKey: key });
    assert.equal(new TextDecoder().decode(bytes), `{"lastSeq":4,"ackKey":"${base64urlEncode(key)}"}`);
    assert.deepEqual([...decodeClientHelloPayload(bytes).ackKey!], [...key]);
    assert.equal(decodeClientHelloPayload(utf8Encode('{"lastSeq":4}')).ackKey, undefined);
  });

  it('anything but exactly 32 bytes of base64url is ERR_HANDSHAKE', () => {
    for (const ackKey of [base64urlEncode(key.subarray(1)), base64urlEncode(new Uint8Array(33)), `${base64urlEncode(key)}=`, 42, null, '!'.repeat(43)]) {
      const json = utf8Encode(JSON.stringify({ lastSeq: 0, ackKey }));
      assert.throws(() => decodeClientHelloPayload(json), code('ERR_HANDSHAKE'), JSON.stringify(ackKey));
    }
  });

  it('the server payload says signedAcks: true, or nothing', () => {
    const base = { clientId: 'c_1', resumed: false, heartbeatMs: 1000, maxFrameBytes: 4096 };
    const bytes = encodeServerHelloPayload({ ...base, signedAcks: true });
    assert.equal(new TextDecoder().decode(bytes), '{"clientId":"c_1","resumed":false,"heartbeatMs":1000,"maxFrameBytes":4096,"signedAcks":true}');
    assert.equal(decodeServerHelloPayload(bytes).signedAcks, true);
    assert.equal(decodeServerHelloPayload(encodeServerHelloPayload(base)).signedAcks, undefined);
    assert.throws(() => decodeServerHelloPayload(utf8Encode(JSON.stringify({ ...base, signedAcks: false }))), code('ERR_HANDSHAKE'));
  });
});

describe('signed bytes', () => {
  const covered = [{ seq: 7, id: 'm7' }, { seq: 9, id: 'ü' }];

  it('the covered list is u64 seq || u8 idLen || id per message, and decodes back', () => {
    const bytes = encodeCoveredList(covered);
    assert.equal(hexEncode(bytes), '0000000000000007' + '02' + '6d37' + '0000000000000009' + '02' + 'c3bc');
    assert.deepEqual(decodeCoveredList(bytes), covered);
    assert.throws(() => decodeCoveredList(bytes.subarray(0, bytes.length - 1)), RangeError);
  });

  it('are the label, app, client, fromSeq, uptoSeq and the covered digest, in that order', () => {
    const digest = sha256(encodeCoveredList(covered));
    const signed = ackSignedBytes({ appId: 'app', clientId: 'c_1', fromSeq: 6, uptoSeq: 9 }, digest);
    const expected =
      hexEncode(utf8Encode('sealpush-ack-v1')) + '03' + hexEncode(utf8Encode('app')) + '03' + hexEncode(utf8Encode('c_1')) +
      '0000000000000006' + '0000000000000009' + hexEncode(digest);
    assert.equal(hexEncode(signed), expected);
  });

  it('node:crypto and WebCrypto keys sign and verify each other, from the same seed', async () => {
    const web = await webAckKeyCrypto.generate();
    const node = await nodeAckKeyCrypto.fromSeed(web.seed);
    assert.deepEqual([...node.publicKey], [...web.publicKey]);
    const message = utf8Encode('sealpush');
    const bySdk = await web.sign(message);
    assert.ok(new AckVerifier(web.publicKey).verify(message, bySdk));
    assert.ok(await verifyEd25519(node.publicKey, message, await node.sign(message)));
    assert.deepEqual([...(await node.sign(message))], [...bySdk], 'Ed25519 is deterministic');
    const other = await nodeAckKeyCrypto.generate();
    assert.equal(new AckVerifier(other.publicKey).verify(message, bySdk), false);
    assert.equal(await verifyEd25519(web.publicKey, utf8Encode('sealpusH'), bySdk), false);
    assert.equal(await ackKeyFingerprint(web.publicKey, webAckKeyCrypto.sha256), await ackKeyFingerprint(node.publicKey, nodeAckKeyCrypto.sha256));
  });

  it('the RFC 8032 test vector 1 key derives its public key on both implementations', async () => {
    const seed = hexDecode('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pub = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
    assert.equal(hexEncode((await nodeAckKeyCrypto.fromSeed(seed)).publicKey), pub);
    assert.equal(hexEncode((await webAckKeyCrypto.fromSeed(seed)).publicKey), pub);
    const sig = await (await webAckKeyCrypto.fromSeed(seed)).sign(new Uint8Array(0));
    assert.equal(hexEncode(sig).slice(0, 16), 'e5564300c360ac72');
  });
});

describe('the SIGNED_ACK vector (src/crypto/vectors/sealpush-v3.json, signedAck)', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../src/crypto/vectors/sealpush-v3.json', import.meta.url), 'utf8')) as ProtocolVectors;
  const v = vectors.signedAck;

  it('covers exactly the first DELIVER of the session, and both implementations reproduce every byte', async () => {
    const first = vectors.frames.find((f) => f.decoded.type === 'deliver')!.decoded;
    assert.deepEqual(v.covered, first.type === 'deliver' ? first.messages.map(({ seq, id }) => ({ seq, id })) : []);
    assert.equal(hexEncode(encodeCoveredList(v.covered)), v.coveredBytes);
    for (const impl of [nodeAckKeyCrypto, webAckKeyCrypto]) {
      const key = await impl.fromSeed(hexDecode(v.ackKeySeed));
      assert.equal(hexEncode(key.publicKey), v.ackKeyPublic);
      assert.equal(await ackKeyFingerprint(key.publicKey, impl.sha256), v.ackKeyFingerprint);
      const digest = await impl.sha256(hexDecode(v.coveredBytes));
      assert.equal(hexEncode(digest), v.coveredDigest);
      const signed = ackSignedBytes({ appId: vectors.appId, clientId: v.clientId, fromSeq: v.fromSeq, uptoSeq: v.uptoSeq }, digest);
      assert.equal(hexEncode(signed), v.signedBytes);
      assert.equal(hexEncode(await key.sign(signed)), v.signature);
    }
    assert.equal(hexEncode(encodeSignedAck(v.uptoSeq, hexDecode(v.signature))), v.plaintext);
    assert.ok(new AckVerifier(hexDecode(v.ackKeyPublic)).verify(hexDecode(v.signedBytes), hexDecode(v.signature)));
  });
});
