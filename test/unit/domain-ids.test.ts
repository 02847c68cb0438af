import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newClientId, newMessageId } from '../../src/domain/ids.js';

test('generated message ids sort as text in the order of their creation times', () => {
  const times = [0, 1, 63, 64, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000, 2 ** 47];
  const ids = times.map((t) => newMessageId(t));
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{24}$/);
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids, 'text order is time order');
});

test('generated message ids of the same millisecond differ in their random part', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newMessageId(1_700_000_000_000)));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.equal(id.slice(0, 8), newMessageId(1_700_000_000_000).slice(0, 8));
});

test('generated client ids never start with "-", so a command line never takes one for an option', () => {
  for (let i = 0; i < 2000; i++) assert.match(newClientId(), /^c_[A-Za-z0-9_-]{24}$/);
});
