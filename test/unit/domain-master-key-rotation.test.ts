// rotateMasterKey on the real SQLite store and the real local KMS: every wrapped column moves
// to the new version, secrets stay the same, and a concurrent writer is never overwritten.
import { WebhookAdmin, formatWebhookSecret, webhookSecretContext } from '../../src/domain/usecases/webhook-endpoints.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { openCore, type Core } from '../../src/compose/core.js';
import { loadServerIdentity } from '../../src/compose/keys.js';
import { join } from 'node:path';
import { LocalKms, MASTER_KEY_FILE, openLocalKms } from '../../src/drivers/kms/local.js';
import { readKeyFile } from '../../src/drivers/kms/key-file.js';
import type { SqliteStore } from '../../src/drivers/store/sqlite/store.js';
import type { WrappedColumn } from '../../src/domain/types.js';
import { InstrumentedStore } from '../helpers/domain.js';
import type { KeyVault } from '../../src/domain/ports/key-vault.js';
import { WRAPPED_COLUMNS, rotateMasterKey, type RotationDeps } from '../../src/domain/usecases/master-key-rotation.js';
import { appSecretContext } from '../../src/domain/usecases/apps.js';
import { AppLifecycle } from '../../src/domain/usecases/app-lifecycle.js';
import { tempDir } from '../helpers/server.js';

async function withCore(fn: (core: Core, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = tempDir('sealpush-rotation-');
  const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    await fn(core, dataDir);
  } finally {
    await core.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The key version of every wrapped blob in the store, by column. */
async function versions(core: Core): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const { column } of WRAPPED_COLUMNS) {
    out[column] = (await core.store.wrappedBlobs(column, null, 1000)).map((b) => core.masterKeys.versionOf(b.blob));
  }
  return out;
}

function deps(core: Core, overrides: Partial<RotationDeps> = {}): RotationDeps {
  return { store: core.store, kms: core.kms, ring: core.masterKeys, batchSize: 2, settle: async () => undefined, ...overrides };
}

test('every wrapped column moves to the new version, the secrets unchanged, and the old version is retired', () => withCore(async (core) => {
  const apps = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => core.apps.create(name)));
  const hs = await core.apps.addJwtKey(apps[0]!.appId, { issuer: 'iss', kid: 'k1', alg: 'HS256' });
  // An app in a secret rotation's overlap: its previous secret is wrapped too.
  const rotated = await new AppLifecycle(core).rotateSecret(apps[1]!.appId, 1);
  // A webhook endpoint whose secret was rotated: its current and previous secrets are wrapped.
  const hooks = new WebhookAdmin({ store: core.store, kms: core.kms, clock: core.clock });
  const hook = await hooks.add(apps[2]!.appId, { url: 'https://hooks.example/in' });
  const hookRotated = await hooks.rotateSecret(hook.id);
  await loadServerIdentity(core);
  const all = (v: number) => ({
    'apps.wrapped_secret': [v, v, v, v, v], 'apps.previous_wrapped_secret': [v], 'webhook_endpoints.wrapped_secret': [v],
    'webhook_endpoints.previous_wrapped_secret': [v], 'server_keys.wrapped_secret': [v], 'app_jwt_keys.key_material': [v],
  });
  assert.deepEqual(await versions(core), all(1));
  const progress: number[] = [];

  const report = await rotateMasterKey(deps(core, { onProgress: (p) => progress.push(p.done) }));
  assert.deepEqual(report, { version: 2, addedVersion: true, rewrapped: 10, retired: [1] });
  assert.deepEqual(await versions(core), all(2));
  assert.equal(progress.at(-1), 10);

  const fresh = await openLocalKms({ dataDir: core.config.dataDir }); // holds version 2 only
  for (const app of apps) {
    const stored = await core.store.getApp(app.appId);
    const current = app === apps[1] ? rotated.secret : app.secret;
    assert.equal(Buffer.from(await fresh.unwrap(stored!.wrappedSecret, appSecretContext(app.appId))).toString('base64url'), current);
  }
  const previous = (await core.store.getApp(apps[1]!.appId))!.previousWrappedSecret!;
  assert.equal(Buffer.from(await fresh.unwrap(previous, appSecretContext(apps[1]!.appId))).toString('base64url'), apps[1]!.secret);
  const jwt = await core.store.findJwtKey('iss', 'k1');
  assert.equal(Buffer.from(await fresh.unwrap(jwt!.keyMaterial, 'jwt-secret:iss:k1')).toString('base64url'), hs.secret);
  const endpoint = (await core.store.getWebhookEndpoint(hook.id))!;
  assert.equal(formatWebhookSecret(await fresh.unwrap(endpoint.wrappedSecret, webhookSecretContext(hook.id))), hookRotated.secret);
  assert.equal(formatWebhookSecret(await fresh.unwrap(endpoint.previousWrappedSecret!, webhookSecretContext(hook.id))), hook.secret);
}));

test('a concurrent write between the read and the compare-and-set is kept, and moved by a later pass', () => withCore(async (core) => {
  const apps = await Promise.all(['a', 'b', 'c'].map((name) => core.apps.create(name)));
  // A server that has not yet seen the new version: it wraps under version 1.
  const staleServer = new LocalKms((await readKeyFile(join(core.config.dataDir, MASTER_KEY_FILE))).keys);
  const target = apps[1]!.appId;
  const replacement = new Uint8Array(32).fill(7);
  let raced = false;
  class RacingStore extends InstrumentedStore {
    override async replaceWrappedBlobs(column: WrappedColumn, changes: Parameters<KeyVault['replaceWrappedBlobs']>[1]): Promise<number> {
      if (!raced && changes.some((c) => c.key[0] === target)) {
        raced = true;
        const current = (await this.real.getApp(target))!.wrappedSecret;
        const written = await staleServer.wrap(replacement, appSecretContext(target));
        assert.equal(await this.real.replaceWrappedBlobs('apps.wrapped_secret', [{ key: [target], expected: current, replacement: written }]), 1);
      }
      return this.real.replaceWrappedBlobs(column, changes);
    }
  }
  const racingStore = new RacingStore(core.store as SqliteStore);
  const report = await rotateMasterKey(deps(core, { store: racingStore, batchSize: 10 }));
  assert.ok(raced);
  assert.deepEqual(report.retired, [1]);
  const stored = (await core.store.getApp(target))!.wrappedSecret;
  assert.equal(core.masterKeys.versionOf(stored), 2, 'the concurrent blob was moved too');
  assert.deepEqual([...(await core.kms.unwrap(stored, appSecretContext(target)))], [...replacement], "the concurrent writer's secret, not the one read before it");
}));
