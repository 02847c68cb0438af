/** SQLite-specific behaviour; the port's contract is covered by test/conformance/sqlite.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import { MIGRATIONS } from '../../src/drivers/store/sqlite/schema.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpush-sqlite-unit-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('opening migrates once, in WAL mode; reopening applies nothing again', () => withDir(async (dir) => {
  const path = join(dir, 'a.db');
  await openSqliteStore({ path }).close();
  await openSqliteStore({ path, durability: 'normal' }).close();
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version;
  inspect(path, (db) => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
    assert.equal(versions.at(-1), latest);
  });
}));

test('a database from a newer build is refused', () => withDir(async (dir) => {
  const path = join(dir, 'a.db');
  await openSqliteStore({ path }).close();
  const db = new Database(path);
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
  db.close();
  assert.throws(() => openSqliteStore({ path }), /schema version 999/);
}));

test('two connections on one file (a CLI beside the server) see and continue each other’s writes', () => withDir(async (dir) => {
  const path = join(dir, 'a.db');
  const server = openSqliteStore({ path });
  const cli = openSqliteStore({ path });
  try {
    await cli.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(1), createdAt: 1, delivery: { mode: 'direct' } });
    assert.equal((await server.getApp('A'))?.id, 'A');
    const empty = { messages: [], delivered: [], acked: [], seen: [], at: 1 };
    await server.commit({ ...empty, clients: [{ id: 'c', appId: 'A', staticKey: new Uint8Array(32), keySalt: new Uint8Array(32).fill(7), createdAt: 1 }] });
    const message = (id: string) => ({ appId: 'A', id, clientId: 'c', payload: new Uint8Array(1), createdAt: 1, expiresAt: 9e12 });
    const one = await server.commit({ ...empty, clients: [], messages: [message('m1')] });
    const two = await cli.commit({ ...empty, clients: [], messages: [message('m2')] });
    assert.deepEqual([one.messages[0], two.messages[0]], [{ kind: 'inserted', seq: 1 }, { kind: 'inserted', seq: 2 }]);
  } finally {
    await server.close();
    await cli.close();
  }
}));

test('a batch committed before kill -9 is there after it (WAL, synchronous FULL)', () => withDir(async (dir) => {
  const path = join(dir, 'crash.db');
  const storeModule = fileURLToPath(new URL('../../src/drivers/store/sqlite/store.ts', import.meta.url));
  const child = join(dir, 'child.mts');
  await writeFile(child, `
    import { openSqliteStore } from ${JSON.stringify(storeModule)};
    const store = openSqliteStore({ path: process.argv[2] });
    await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(1), createdAt: 1, delivery: { mode: 'direct' } });
    const empty = { clients: [], messages: [], delivered: [], acked: [], seen: [], at: 1 };
    await store.commit({ ...empty, clients: [{ id: 'c', appId: 'A', staticKey: new Uint8Array(32), keySalt: new Uint8Array(32).fill(7), createdAt: 1 }] });
    const messages = Array.from({ length: 500 }, (_, i) => ({ appId: 'A', id: 'm' + i, clientId: 'c', payload: new Uint8Array(64), createdAt: 1, expiresAt: 9e12 }));
    await store.commit({ ...empty, messages });
    process.stdout.write('committed\\n');
    setInterval(() => {}, 60_000);
  `);
  const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(proc, 'exit');
  let out = '';
  for await (const chunk of proc.stdout) {
    out += String(chunk);
    if (out.includes('committed')) break;
  }
  proc.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');
  const store = openSqliteStore({ path });
  try {
    assert.equal((await store.getClient('A', 'c'))?.lastSeq, 500);
    assert.equal(await store.countPending('c', 0), 500);
  } finally {
    await store.close();
  }
  inspect(path, (db) => assert.equal(db.pragma('integrity_check', { simple: true }), 'ok'));
}));

test('maxPendingPerClient: past it a message is client-full, a retry is its duplicate, and expired or acked messages make room', () => withDir(async (dir) => {
  const store = openSqliteStore({ path: join(dir, 'full.db'), maxPendingPerClient: 2 });
  try {
    const empty = { clients: [], messages: [], delivered: [], acked: [], seen: [], at: 1000 };
    await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(1), createdAt: 1, delivery: { mode: 'direct' } });
    await store.commit({ ...empty, clients: [{ id: 'c', appId: 'A', staticKey: new Uint8Array(32), keySalt: new Uint8Array(32).fill(7), createdAt: 1 }] });
    const message = (id: string, expiresAt = 9e12) => ({ appId: 'A', id, clientId: 'c', payload: new Uint8Array(1), createdAt: 1000, expiresAt });
    const kinds = async (at: number, ...ids: string[]) =>
      (await store.commit({ ...empty, at, messages: ids.map((id) => message(id, id.startsWith('short') ? 2000 : 9e12)) })).messages.map((m) => m.kind);

    assert.deepEqual(await kinds(1000, 'short-1', 'm2', 'm3', 'short-1'), ['inserted', 'inserted', 'client-full', 'duplicate']);
    assert.equal(await store.getMessage('A', 'm3'), undefined, 'a refused message is not stored');
    // short-1 expires at 2000: from then on it is not pending, so there is room for one.
    assert.deepEqual(await kinds(3000, 'm3', 'm4'), ['inserted', 'client-full']);
    // An ack of everything so far makes room for two more.
    await store.commit({ ...empty, at: 3000, acked: [{ clientId: 'c', uptoSeq: 3 }] });
    assert.deepEqual(await kinds(3000, 'm4', 'm5', 'm6'), ['inserted', 'inserted', 'client-full']);
  } finally {
    await store.close();
  }
}));
