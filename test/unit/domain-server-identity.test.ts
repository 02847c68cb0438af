// ServerIdentities and rotateServerIdentity on the real store and KMS, with a manual clock:
// which identity versions a server accepts, and when it stops accepting the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { openLocalKms } from '../../src/drivers/kms/local.js';
import { IDENTITY_CACHE_MS, ServerIdentities, rotateServerIdentity } from '../../src/domain/usecases/server-identity.js';
import { SealPushError } from '../../src/domain/errors.js';
import { ManualClock } from '../helpers/domain.js';
import { tempDir } from '../helpers/server.js';

const HOUR = 3_600_000;

async function withWorld(fn: (w: Awaited<ReturnType<typeof world>>) => Promise<void>): Promise<void> {
  const w = await world();
  try {
    await fn(w);
  } finally {
    await w.cleanup();
  }
}

async function world() {
  const dir = tempDir('sealpush-identity-');
  const store = openSqliteStore({ path: join(dir, 'store.db') });
  const kms = await openLocalKms({ masterKey: randomBytes(32).toString('hex') });
  const clock = new ManualClock();
  let n = 0;
  const generate = () => ({ publicKey: new Uint8Array(32).fill(++n), secret: new Uint8Array(32).fill(100 + n) });
  const identities = new ServerIdentities({ store, kms, clock }, (secret) => secret[0]);
  const cleanup = async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { store, kms, clock, generate, identities, cleanup };
}

test('after a rotation the old version is accepted until its overlap ends, then never again', () => withWorld(async (w) => {
  const rotated = await rotateServerIdentity(w, 2 * HOUR);
  assert.deepEqual([rotated.version, rotated.previous], [2, { version: 1, notAfter: w.clock.now() + 2 * HOUR }]);
  let ring = await w.identities.ring();
  assert.deepEqual([ring.current.version, ring.current.key, ring.previous.map((v) => [v.version, v.key, v.notAfter])], [2, 102, [[1, 101, w.clock.now() + 2 * HOUR]]]);
  w.clock.advance(2 * HOUR - 1);
  assert.deepEqual((await w.identities.ring()).previous.map((v) => v.version), [1]);
  w.clock.advance(1);
  ring = await w.identities.ring();
  assert.deepEqual([ring.current.version, ring.previous], [2, []], 'refused from its notAfter on, even from the cache');
}));

test('a rotation by another process is seen once the cache is older than IDENTITY_CACHE_MS; a refused overlap changes nothing', () => withWorld(async (w) => {
  await rotateServerIdentity(w, HOUR);
  assert.equal((await w.identities.ring()).current.version, 2);
  await rotateServerIdentity(w, HOUR);
  assert.equal((await w.identities.ring()).current.version, 2, 'cached');
  w.clock.advance(IDENTITY_CACHE_MS);
  const ring = await w.identities.ring();
  assert.deepEqual([ring.current.version, ring.previous.map((v) => v.version)], [3, [2, 1]]);
  for (const bad of [-1, 1.5, 366 * 24 * HOUR]) {
    await assert.rejects(rotateServerIdentity(w, bad), (err: unknown) => err instanceof SealPushError && err.code === 'ERR_BAD_REQUEST');
  }
  assert.equal((await w.store.listServerKeys('noise-static')).length, 3);
}));

test('when the store cannot be read, the last identity versions read stay in use', () => withWorld(async (w) => {
  await rotateServerIdentity(w, HOUR);
  assert.equal((await w.identities.ring()).current.version, 2);
  await w.store.close();
  w.clock.advance(IDENTITY_CACHE_MS);
  assert.equal((await w.identities.ring()).current.version, 2);
}));
