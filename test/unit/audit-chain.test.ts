import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { auditCheckpointBytes, auditRecordBytes } from '../../src/crypto/audit-encoding.js';
import { auditCheckpointVerifier, auditRecordHash, auditSigner, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { GENESIS_HASH, ackEvent, authFailureEvent, publishEvent } from '../../src/domain/audit.js';
import { hexDecode, hexEncode } from '../../src/crypto/encoding.js';

const AT = 1_700_000_000_000;
/** Computed from docs/audit.md's layout by an independent implementation (Python hashlib/struct). */
const RECORD_1_BYTES =
  '000000187365616c707573682d61756469742d7265636f72642d763100000000000000010000018bcfe56800000000077075626c697368' +
  '0000002a7b22617070223a226170705f78222c226d65737361676573223a5b5b226d31222c226331222c315d5d7d' +
  '0000000000000000000000000000000000000000000000000000000000000000';
const RECORD_1_HASH = '7924a9ad0e5a7d2353aa284a07c5b5f39cb8c77364aefb0b518201de81341040';
const RECORD_2_HASH = 'd5604435e63bd9c12d7bc2b9c7fb1a00f88276ee8274dc438c8a3493853262af';
const CHECKPOINT_BYTES =
  '0000001c7365616c707573682d61756469742d636865636b706f696e742d76310000000000000002' +
  'd5604435e63bd9c12d7bc2b9c7fb1a00f88276ee8274dc438c8a3493853262af0000018bcfe5680200000001';

describe('audit canonical encoding and chain', () => {
  const first = { seq: 1, at: AT, ...publishEvent('app_x', [['m1', 'c1', 1]]), prevHash: GENESIS_HASH };

  test('a publish record has the documented fields, bytes and known-answer hash', () => {
    assert.equal(first.fields, '{"app":"app_x","messages":[["m1","c1",1]]}');
    assert.equal(hexEncode(auditRecordBytes(first)), RECORD_1_BYTES);
    assert.equal(hexEncode(auditRecordHash(first)), RECORD_1_HASH);
  });

  test('each record hashes its predecessor: the second record known answer', () => {
    const second = { seq: 2, at: AT + 1, ...ackEvent([{ clientId: 'c1', uptoSeq: 1 }]), prevHash: auditRecordHash(first) };
    assert.equal(second.fields, '{"marks":[["c1",1]]}');
    assert.equal(hexEncode(auditRecordHash(second)), RECORD_2_HASH);
    // Any other predecessor gives another hash.
    assert.notEqual(hexEncode(auditRecordHash({ ...second, prevHash: GENESIS_HASH })), RECORD_2_HASH);
  });

  test('the encoding is unambiguous: moving bytes between kind and fields changes the hash', () => {
    const a = auditRecordHash({ seq: 1, at: AT, kind: 'ab', fields: 'c', prevHash: GENESIS_HASH });
    const b = auditRecordHash({ seq: 1, at: AT, kind: 'a', fields: 'bc', prevHash: GENESIS_HASH });
    assert.notEqual(hexEncode(a), hexEncode(b));
    // seq and time are fixed-size: no concatenation of them collides either.
    const c = auditRecordHash({ seq: 12, at: 3, kind: 'a', fields: 'b', prevHash: GENESIS_HASH });
    const d = auditRecordHash({ seq: 1, at: 23, kind: 'a', fields: 'b', prevHash: GENESIS_HASH });
    assert.notEqual(hexEncode(c), hexEncode(d));
    assert.equal(hexEncode(auditRecordHash(first)), createHash('sha256').update(auditRecordBytes(first)).digest('hex'));
  });

  test('a checkpoint signs the documented bytes; any change to it fails verification', () => {
    const unsigned = { seq: 2, headHash: hexDecode(RECORD_2_HASH), at: AT + 2, keyVersion: 1 };
    assert.equal(hexEncode(auditCheckpointBytes(unsigned)), CHECKPOINT_BYTES);
    const key = generateAuditKeyPair();
    const checkpoint = { ...unsigned, signature: auditSigner(key.secret)(unsigned) };
    const verify = auditCheckpointVerifier(key.publicKey);
    assert.equal(verify(checkpoint), true);
    assert.equal(verify({ ...checkpoint, seq: 3 }), false);
    assert.equal(verify({ ...checkpoint, at: AT + 3 }), false);
    assert.equal(verify({ ...checkpoint, keyVersion: 2 }), false);
    assert.equal(verify({ ...checkpoint, headHash: GENESIS_HASH }), false);
    assert.equal(verify({ ...checkpoint, signature: new Uint8Array(64) }), false);
    assert.equal(verify({ ...checkpoint, signature: new Uint8Array(3) }), false);
    assert.equal(auditCheckpointVerifier(generateAuditKeyPair().publicKey)(checkpoint), false);
  });

  test('an auth failure keeps the claim, code and address, bounded; a replay is its own kind', () => {
    const failure = authFailureEvent({ scheme: 'hmac', appId: 'a'.repeat(500), code: 'ERR_AUTH_SIGNATURE', remote: '127.0.0.1' });
    assert.equal(failure.kind, 'auth-failure');
    const fields = JSON.parse(failure.fields) as Record<string, unknown>;
    assert.equal((fields.app as string).length, 128);
    assert.deepEqual(Object.keys(fields), ['app', 'issuer', 'scheme', 'code', 'remote']);
    assert.equal(authFailureEvent({ scheme: 'bearer', code: 'ERR_AUTH_REPLAY', remote: '::1' }).kind, 'replay-refused');
  });
});
