/** The client's pinned server keys: the order they are tried in, and an announced successor. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlEncode } from '../../src/crypto/encoding.js';
import { PinnedKeys } from '../../src/client/pinned-keys.js';

const key = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

test('after a refusal the next pinned key is tried at once; once every key was refused, the round ends (back off)', () => {
  const pinned = new PinnedKeys([key(1), key(2), key(3)], null);
  assert.deepEqual(pinned.current, key(1));
  assert.equal(pinned.refused(), true);
  assert.deepEqual(pinned.current, key(2));
  assert.equal(pinned.refused(), true);
  assert.deepEqual(pinned.current, key(3));
  assert.equal(pinned.refused(), false, 'all three refused: back off');
  assert.deepEqual(pinned.current, key(1), 'the next round starts over');
  assert.equal(pinned.refused(), true);
  pinned.succeeded();
  assert.equal(pinned.refused(), true, 'a success starts a new round');
  assert.equal(pinned.refused(), true);
  assert.equal(pinned.refused(), false);
});

test('a single pinned key is never retried at once', () => {
  const pinned = new PinnedKeys([key(1)], null);
  assert.equal(pinned.refused(), false);
  assert.deepEqual(pinned.current, key(1));
});

test('an announced key goes first, the others stay (without a copy of it), and the session keeps it', () => {
  const pinned = new PinnedKeys([key(1), key(2)], null);
  const next = base64urlEncode(key(2));
  const announcement = pinned.follow(next, Date.UTC(2027, 0, 1));
  assert.deepEqual(announcement, { serverKey: next, until: '2027-01-01T00:00:00.000Z', previousKey: base64urlEncode(key(1)) });
  assert.deepEqual(pinned.current, key(2));
  assert.equal(pinned.announced, next);
  assert.equal(pinned.refused(), true);
  assert.deepEqual(pinned.current, key(1), 'the old key is still pinned, once');
  assert.equal(pinned.refused(), false);
});
