// AppLifecycle and Apps.secretsFor on the real SQLite store and local KMS, with a manual clock:
// a rotated-out secret verifies exactly while its overlap lasts, and a deleted app has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { openCore, type Core } from '../../src/compose/core.js';
import { Apps, DELIVERY_CACHE_MS } from '../../src/domain/usecases/apps.js';
import { AppLifecycle } from '../../src/domain/usecases/app-lifecycle.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { ManualClock } from '../helpers/domain.js';
import { tempDir } from '../helpers/server.js';

const HOUR = 3_600_000;

async function withApps(fn: (core: Core, apps: Apps, lifecycle: AppLifecycle, clock: ManualClock) => Promise<void>): Promise<void> {
  const dataDir = tempDir('sealpush-lifecycle-');
  const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  const clock = new ManualClock();
  try {
    await fn(core, new Apps(core.store, core.kms, clock), new AppLifecycle({ store: core.store, kms: core.kms, clock }), clock);
  } finally {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const text = (secrets: readonly Uint8Array[]): string[] => secrets.map((s) => Buffer.from(s).toString('base64url'));
const code = (expected: string) => (err: unknown) => isSealPushError(err) && err.code === expected;

test('a rotated-out secret verifies until its overlap ends, then only the new one does', () =>
  withApps(async (core, apps, lifecycle, clock) => {
    const created = await apps.create('billing');
    assert.deepEqual(text(await apps.secretsFor(created.appId)), [created.secret]);

    const rotated = await lifecycle.rotateSecret(created.appId, 2);
    assert.equal(rotated.previousNotAfter, clock.now() + 2 * HOUR);
    clock.advance(DELIVERY_CACHE_MS); // a running node reads the app again after this long
    assert.deepEqual(text(await apps.secretsFor(created.appId)), [rotated.secret, created.secret], 'the new first, then the old');
    clock.advance(2 * HOUR - DELIVERY_CACHE_MS - 1);
    assert.deepEqual(text(await apps.secretsFor(created.appId)), [rotated.secret, created.secret], 'the last millisecond of the overlap');
    clock.advance(1);
    assert.deepEqual(text(await apps.secretsFor(created.appId)), [rotated.secret], 'the overlap is over');

    const immediate = await lifecycle.rotateSecret(created.appId, 0);
    clock.advance(DELIVERY_CACHE_MS);
    assert.deepEqual(text(await apps.secretsFor(created.appId)), [immediate.secret], 'no overlap');

    const records = (await core.store.auditRecords(0, 100)).map((r) => JSON.parse(r.fields) as Record<string, unknown>);
    const rotations = records.filter((f) => f.action === 'apps.rotate-secret');
    assert.deepEqual(rotations.map((f) => Object.keys(f).sort()), [['action', 'app', 'previousNotAfter'], ['action', 'app', 'previousNotAfter']]);
    assert.ok(!JSON.stringify(records).includes(rotated.secret), 'never the secret');
  }));

test('a refused rotation changes nothing: an overlap out of range, an unknown app', () =>
  withApps(async (core, apps, lifecycle) => {
    const created = await apps.create('billing');
    const before = await core.store.getApp(created.appId);
    for (const hours of [-1, 721, Number.NaN]) await assert.rejects(lifecycle.rotateSecret(created.appId, hours), code('ERR_BAD_REQUEST'));
    await assert.rejects(lifecycle.rotateSecret('app_nope', 1), code('ERR_NOT_FOUND'));
    assert.deepEqual(await core.store.getApp(created.appId), before);
  }));

test('a deleted app has no secret and does not exist, within one cache period; deleting it again is ERR_NOT_FOUND', () =>
  withApps(async (core, apps, lifecycle, clock) => {
    const created = await apps.create('billing');
    assert.equal(await apps.exists(created.appId), true);
    assert.equal((await apps.secretsFor(created.appId)).length, 1);
    const deleted = await lifecycle.delete(created.appId);
    assert.deepEqual([deleted.appId, deleted.name, deleted.clients], [created.appId, 'billing', 0]);
    clock.advance(DELIVERY_CACHE_MS);
    assert.deepEqual(await apps.secretsFor(created.appId), []);
    assert.equal(await apps.exists(created.appId), false);
    await assert.rejects(lifecycle.delete(created.appId), code('ERR_NOT_FOUND'));
    const last = (await core.store.auditRecords(0, 100)).at(-1)!;
    assert.deepEqual(JSON.parse(last.fields), { action: 'apps.delete', app: created.appId, name: 'billing', clients: 0, messagesDeleted: 0 });
  }));
