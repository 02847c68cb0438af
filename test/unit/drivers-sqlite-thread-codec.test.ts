/** The packed form of the store worker's commit call; the threaded store itself runs the conformance suite. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitResult, NewMessage, WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Client, MessageRecord } from '../../src/domain/types.js';
import {
  MAX_STRING_BYTES,
  decodeCommitResult,
  decodeWriteBatch,
  encodeCommitResult,
  encodeWriteBatch,
} from '../../src/drivers/store/sqlite/thread-codec.js';

const T0 = 1_700_000_000_000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** 255 bytes of UTF-8 in three spellings: ASCII, two-byte and four-byte characters. */
const LONG_IDS = ['x'.repeat(255), 'é'.repeat(127) + 'a', '🦭'.repeat(63) + 'abc'];

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function key(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

function message(appId: string, id: string, clientId: string, payload = Uint8Array.of(1, 2, 3)): NewMessage {
  return { appId, id, clientId, payload, createdAt: T0, expiresAt: T0 + 3_600_000 };
}

function batch(parts: Partial<WriteBatch>): WriteBatch {
  return { clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts };
}

/** Through a transfer, as postMessage does it: the sender's buffer is detached, the receiver's whole. */
function roundTrip(original: WriteBatch): WriteBatch {
  const packed = encodeWriteBatch(original);
  const received = structuredClone(packed, { transfer: [packed] });
  assert.equal(packed.byteLength, 0, 'the packed batch was transferred, not copied');
  const decoded = decodeWriteBatch(received);
  assert.deepEqual(decoded, original);
  assert.deepEqual(decoded.messages.map((m) => hex(m.payload)), original.messages.map((m) => hex(m.payload)));
  assert.deepEqual(decoded.clients.map((c) => hex(c.staticKey)), original.clients.map((c) => hex(c.staticKey)));
  return decoded;
}

test('an empty batch round-trips', () => {
  roundTrip(batch({}));
});

test('a full batch round-trips, every list in order', () => {
  roundTrip(batch({
    clients: [{ id: 'c1', appId: 'A', staticKey: key(1), keySalt: key(11), createdAt: T0 }, { id: 'c2', appId: 'A', staticKey: key(2), keySalt: key(12), createdAt: T0 + 1 }],
    messages: [message('A', 'm1', 'c1'), message('A', 'm2', 'c2'), message('A', 'm1', 'c1')],
    delivered: [{ clientId: 'c1', uptoSeq: 4 }, { clientId: 'c2', uptoSeq: 1 }],
    acked: [{ clientId: 'c1', uptoSeq: 2 }],
    seen: ['c1', 'c2', 'c1'],
    at: T0 + 5,
  }));
});

test('audit events ride along, in order, non-ASCII fields intact', () => {
  roundTrip(batch({
    seen: ['c1'],
    audit: [
      { kind: 'auth-failure', fields: '{"app":"é🦭","code":"ERR_AUTH_SIGNATURE"}' },
      { kind: 'audit-overflow', fields: '{"omitted":3}' },
    ],
  }));
});

test('ack keys of new clients and the receipts of acked marks round-trip, every receipt in order', () => {
  const receipt = (n: number, ids: string[]) => ({
    fromSeq: n,
    uptoSeq: n + ids.length,
    messages: ids.map((id, i) => ({ seq: n + i + 1, id })),
    signature: new Uint8Array(64).fill(n),
  });
  roundTrip(batch({
    clients: [{ id: 'c1', appId: 'A', staticKey: key(1), keySalt: key(3), createdAt: T0, ackKey: key(9) }, { id: 'c2', appId: 'A', staticKey: key(2), keySalt: key(4), createdAt: T0 }],
    acked: [
      { clientId: 'c1', uptoSeq: 5, receipts: [receipt(0, ['m1', LONG_IDS[2]!]), receipt(2, []), receipt(2, ['m3', 'm4', 'é'])] },
      { clientId: 'c2', uptoSeq: MAX_SAFE },
    ],
  }));
});

test("a client's HPKE key round-trips; a client without one stays without", () => {
  const decoded = roundTrip(batch({
    clients: [{ id: 'c1', appId: 'A', staticKey: key(1), keySalt: key(3), createdAt: T0, hpkeKey: key(9) }, { id: 'c2', appId: 'A', staticKey: key(2), keySalt: key(4), createdAt: T0 }],
  }));
  assert.equal(hex(decoded.clients[0]!.hpkeKey!), hex(key(9)));
  assert.equal(decoded.clients[1]!.hpkeKey, undefined);
});

test("a message's fingerprint round-trips; a message without one stays without", () => {
  const decoded = roundTrip(batch({ messages: [{ ...message('A', 'm1', 'c1'), fingerprint: key(7) }, message('A', 'm2', 'c1')] }));
  assert.equal(hex(decoded.messages[0]!.fingerprint!), hex(key(7)));
  assert.equal(decoded.messages[1]!.fingerprint, undefined);
  assert.equal(decoded.messages[1]!.id, 'm2', 'the field after it is read in place');
});

test('non-ASCII and 255-byte ids round-trip in every string field', () => {
  for (const id of ['é', '🦭', 'ÿ\u0000z', '', ...LONG_IDS]) {
    assert.ok(Buffer.byteLength(id) <= 255, id);
    roundTrip(batch({
      clients: [{ id, appId: id, staticKey: key(3), keySalt: key(13), createdAt: T0 }],
      messages: [message(id, id, id)],
      delivered: [{ clientId: id, uptoSeq: 1 }],
      acked: [{ clientId: id, uptoSeq: 1 }],
      seen: [id],
    }));
  }
});

test('messages and clients of several apps keep their own app id', () => {
  const decoded = roundTrip(batch({
    clients: [{ id: 'c9', appId: 'C', staticKey: key(9), keySalt: key(19), createdAt: T0 }, { id: 'c1', appId: 'A', staticKey: key(1), keySalt: key(11), createdAt: T0 }],
    messages: [message('A', 'm1', 'c1'), message('B', 'm1', 'c2'), message('A', 'm2', 'c1'), message('café', 'm1', 'c3'), message('B', 'm2', 'c2')],
  }));
  assert.deepEqual(decoded.messages.map((m) => m.appId), ['A', 'B', 'A', 'café', 'B']);
  assert.deepEqual(decoded.clients.map((c) => c.appId), ['C', 'A']);
});

test('zero-length and 64 KiB payloads round-trip, as views into the received buffer', () => {
  const big = new Uint8Array(64 * 1024).map((_, i) => (i * 31) & 0xff);
  // A payload that is itself a view into a larger buffer: only its own bytes travel.
  const slice = new Uint8Array(1024).fill(7).subarray(10, 20);
  const decoded = roundTrip(batch({
    messages: [message('A', 'empty', 'c', new Uint8Array(0)), message('A', 'big', 'c', big), message('A', 'slice', 'c', slice)],
    clients: [{ id: 'c', appId: 'A', staticKey: key(4), keySalt: key(14), createdAt: T0 }],
  }));
  const [empty, bigOut] = decoded.messages;
  assert.equal(empty?.payload.byteLength, 0);
  assert.equal(bigOut?.payload.buffer, decoded.messages[2]?.payload.buffer, 'payloads share the one received buffer');
  // A client's key goes back in the reply, where a view would clone the whole batch buffer.
  assert.equal(decoded.clients[0]?.staticKey.buffer.byteLength, 32);
});

test('numbers up to 2^53 - 1 come back exactly', () => {
  roundTrip(batch({
    clients: [{ id: 'c', appId: 'A', staticKey: key(5), keySalt: key(15), createdAt: MAX_SAFE }],
    messages: [{ ...message('A', 'm', 'c'), createdAt: MAX_SAFE - 1, expiresAt: MAX_SAFE }],
    delivered: [{ clientId: 'c', uptoSeq: MAX_SAFE }],
    acked: [{ clientId: 'c', uptoSeq: MAX_SAFE - 2 }],
    at: MAX_SAFE,
  }));
});

test('an id longer than the length prefix holds is refused, not cut', () => {
  roundTrip(batch({ seen: ['a'.repeat(MAX_STRING_BYTES)] }));
  assert.throws(() => encodeWriteBatch(batch({ seen: ['a'.repeat(MAX_STRING_BYTES + 1)] })), RangeError);
  assert.throws(() => encodeWriteBatch(batch({ messages: [message('A', 'é'.repeat(40_000), 'c')] })), RangeError);
});

function resultRoundTrip(original: CommitResult): void {
  const packed = encodeCommitResult(original);
  const received = structuredClone(packed, { transfer: [packed.outcomes] });
  assert.equal(packed.outcomes.byteLength, 0, 'the outcomes were transferred, not copied');
  assert.deepEqual(decodeCommitResult(received), original);
}

test('a commit result round-trips with each outcome kind, in order', () => {
  const existing = (id: string, deliveredAt: number | null): MessageRecord => ({
    appId: 'A', id, clientId: 'c', seq: 3, status: deliveredAt === null ? 'queued' : 'delivered',
    createdAt: T0, expiresAt: T0 + 1, deliveredAt, ackedAt: null,
  });
  const client: Client = { id: 'c', appId: 'A', staticKey: key(6), keySalt: key(16), lastSeq: MAX_SAFE, ackedSeq: 2, createdAt: T0, lastSeenAt: null };
  resultRoundTrip({ messages: [], clients: [] });
  resultRoundTrip({
    messages: [
      { kind: 'inserted', seq: 1 },
      { kind: 'duplicate', existing: existing('m1', null) },
      { kind: 'unknown-client' },
      { kind: 'inserted', seq: MAX_SAFE },
      { kind: 'duplicate', existing: existing('m2', T0) },
      { kind: 'unknown-client' },
      { kind: 'client-full' },
    ],
    clients: [client, { ...client, id: 'd', lastSeenAt: T0 }],
  });
  resultRoundTrip({ messages: Array.from({ length: 5000 }, (_, i) => ({ kind: 'inserted', seq: i + 1 })), clients: [] });
});

test('a commit result whose duplicates do not match its outcomes is refused', () => {
  const packed = encodeCommitResult({ messages: [{ kind: 'duplicate', existing: {
    appId: 'A', id: 'm', clientId: 'c', seq: 1, status: 'queued', createdAt: T0, expiresAt: T0, deliveredAt: null, ackedAt: null,
  } }], clients: [] });
  assert.throws(() => decodeCommitResult({ ...packed, duplicates: [] }), /fewer duplicates/);
});
