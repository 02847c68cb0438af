import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealPushError } from '../../src/domain/errors.js';
import { MemoryNonceCache } from '../../src/drivers/nonces/memory.js';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { clock: { now: () => now }, advance: (ms: number) => { now += ms; } };
}

test('when full of live keys, a new key is refused with ERR_UNAVAILABLE, never forgotten early', async () => {
  const { clock, advance } = manualClock();
  const cache = new MemoryNonceCache({ maxEntries: 2, clock });
  try {
    assert.equal(await cache.claim('a', 10), true);
    assert.equal(await cache.claim('b', 20), true);
    await assert.rejects(cache.claim('c', 10), (err) => err instanceof SealPushError && err.code === 'ERR_UNAVAILABLE');
    assert.equal(await cache.claim('a', 10), false, 'a known key is still answered');
    advance(10_000);
    assert.equal(await cache.claim('c', 10), true, 'an expired key makes room');
    assert.equal(cache.size, 2);
    assert.equal(await cache.claim('b', 20), false);
  } finally {
    await cache.close();
  }
});

test('an owner past its share is refused with ERR_RATE_LIMITED; other owners keep claiming; expiry gives the share back', async () => {
  const { clock, advance } = manualClock();
  const cache = new MemoryNonceCache({ maxEntries: 10, maxEntriesPerOwner: 2, clock });
  try {
    assert.equal(await cache.claim('a:1', 10, 'a'), true);
    assert.equal(await cache.claim('a:2', 10, 'a'), true);
    await assert.rejects(cache.claim('a:3', 10, 'a'), (err) => err instanceof SealPushError && err.code === 'ERR_RATE_LIMITED' && err.retryAfterSeconds === 10);
    assert.equal(await cache.claim('a:1', 10, 'a'), false, 'a replay is still refused as one');
    assert.equal(await cache.claim('b:1', 10, 'b'), true, 'another owner is unaffected');
    assert.equal(cache.heldBy('a'), 2);
    advance(10_000);
    assert.equal(await cache.claim('a:3', 10, 'a'), true, 'expired keys give the share back');
    assert.equal(cache.heldBy('a'), 1);
  } finally {
    await cache.close();
  }
});

test('sweep drops expired keys only', async () => {
  const { clock, advance } = manualClock();
  const cache = new MemoryNonceCache({ clock });
  try {
    await cache.claim('short', 1);
    await cache.claim('long', 60);
    advance(1_000);
    assert.equal(cache.sweep(), 1);
    assert.equal(cache.size, 1);
    assert.equal(await cache.claim('long', 60), false);
  } finally {
    await cache.close();
  }
});

test('bad ttl and bad bounds are refused', async () => {
  const cache = new MemoryNonceCache();
  try {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(cache.claim('k', ttl), RangeError, String(ttl));
    }
  } finally {
    await cache.close();
  }
  assert.throws(() => new MemoryNonceCache({ maxEntries: 0 }), RangeError);
  assert.throws(() => new MemoryNonceCache({ maxEntriesPerOwner: 1.5 }), RangeError);
});

test('close forgets every key and refuses later claims', async () => {
  const cache = new MemoryNonceCache();
  await cache.claim('k', 60);
  await cache.close();
  assert.equal(cache.size, 0);
  await assert.rejects(cache.claim('k', 60));
  await cache.close();
});

test('a wall clock stepped forward and back (a wrong NTP step, corrected) does not make the cache forget a key early; nor does one stepped back', async () => {
  const wall = manualClock();
  const elapsed = manualClock(0);
  const cache = new MemoryNonceCache({ clock: wall.clock, elapsed: elapsed.clock });
  try {
    assert.equal(await cache.claim('app:n1', 600), true);
    wall.advance(86_400_000); // a day forward
    elapsed.advance(5_000);
    assert.equal(cache.sweep(), 0, 'held: only 5 s have passed');
    assert.equal(await cache.claim('app:n1', 600), false, 'still a replay a day "later"');
    wall.advance(-86_400_000); // corrected: the request's timestamp is in the window again
    elapsed.advance(5_000);
    assert.equal(await cache.claim('app:n1', 600), false, 'and after the correction');
    assert.equal(await cache.claim('app:n2', 600), true);
    wall.advance(-3_600_000); // an hour back
    elapsed.advance(601_000);
    cache.sweep();
    assert.equal(await cache.claim('app:n2', 600), false, 'held until 600 s of the stepped-back wall clock have passed too');
    wall.advance(3_600_000 + 601_000);
    assert.equal(await cache.claim('app:n2', 600), true, 'then forgotten');
  } finally {
    await cache.close();
  }
});

test('a held key does not keep the request header it was parsed from alive', async () => {
  // Keys and owners built from slices of an Authorization header, as auth.ts builds them; the
  // cache holds copies. Holding the slices kept each header alive: 398 bytes an entry, against 181.
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  const { randomBytes } = await import('node:crypto');
  const { readAuthorization } = await import('../../src/crypto/request-signature.js');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const cache = new MemoryNonceCache({ maxEntries: 100_000, maxEntriesPerOwner: 100_000 });
  try {
    const appId = `app_${randomBytes(12).toString('base64url')}`;
    const claims = 20_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < claims; n++) {
      const header = `SEALPUSH-HMAC-SHA256 app=${appId},ts=1700000000,nonce=${randomBytes(16).toString('base64url')},sig=${randomBytes(32).toString('base64url')}`;
      const read = readAuthorization(header);
      assert.ok('auth' in read);
      assert.equal(await cache.claim(`${read.auth.appId}:${read.auth.nonce}`, 600, read.auth.appId), true);
    }
    gc();
    const perEntry = (process.memoryUsage().heapUsed - before) / claims;
    assert.ok(perEntry < 300, `${perEntry.toFixed(0)} bytes of heap an entry`);
    assert.equal(cache.heldBy(appId), claims);
  } finally {
    await cache.close();
  }
});
