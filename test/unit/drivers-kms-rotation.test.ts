// The key file across a master-key rotation: add a version, resume, retire, other processes
// following along, the rotation lock, and files that are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTER_KEY_FILE, openLocalKms } from '../../src/drivers/kms/local.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpush-kms-rotation-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type KeyFileDoc = { version: number; keys: Record<string, string>; retiring?: number[] };
const readDoc = async (dir: string) => JSON.parse(await readFile(join(dir, MASTER_KEY_FILE), 'utf8')) as KeyFileDoc;
const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

test('beginRotation adds a version and marks the others retiring, atomically and 0600; new blobs name it, old ones still open', () => withDir(async (dir) => {
  const kms = await openLocalKms({ dataDir: dir });
  const old = await kms.wrap(utf8('old'), 'ctx');
  const state = await kms.beginRotation();
  assert.deepEqual(state, { current: 2, retiring: [1], resumed: false });
  const doc = await readDoc(dir);
  assert.deepEqual([Object.keys(doc.keys), doc.retiring], [['1', '2'], [1]]);
  assert.equal((await stat(join(dir, MASTER_KEY_FILE))).mode & 0o777, 0o600);
  assert.deepEqual((await readdir(dir)).sort(), [MASTER_KEY_FILE, `${MASTER_KEY_FILE}.lock`], 'no temporary file left');
  const fresh = await kms.wrap(utf8('new'), 'ctx');
  assert.equal(kms.versionOf(fresh), 2);
  assert.equal(text(await kms.unwrap(old, 'ctx')), 'old');
  await kms.release();
  assert.deepEqual(await readdir(dir), [MASTER_KEY_FILE], 'the lock is released');
}));

test('a rotation under way is resumed, not started again: no second version', () => withDir(async (dir) => {
  const first = await openLocalKms({ dataDir: dir });
  await first.beginRotation();
  await first.release(); // as if the process had died here
  const again = await openLocalKms({ dataDir: dir });
  assert.deepEqual(await again.beginRotation(), { current: 2, retiring: [1], resumed: true });
  assert.deepEqual(Object.keys((await readDoc(dir)).keys), ['1', '2']);
  await again.release();
}));

test('retire removes the retiring versions from the file; this instance still opens them, a fresh one cannot', () => withDir(async (dir) => {
  const kms = await openLocalKms({ dataDir: dir });
  const old = await kms.wrap(utf8('old'), 'ctx');
  await kms.beginRotation();
  assert.deepEqual(await kms.retire(), [1]);
  await kms.release();
  const doc = await readDoc(dir);
  assert.deepEqual([Object.keys(doc.keys), doc.retiring], [['2'], undefined]);
  assert.equal(text(await kms.unwrap(old, 'ctx')), 'old');
  await assert.rejects((await openLocalKms({ dataDir: dir })).unwrap(old, 'ctx'), /version 1, which is not loaded/);
  const next = await openLocalKms({ dataDir: dir });
  assert.deepEqual(await next.beginRotation(), { current: 3, retiring: [2], resumed: false }, 'the next rotation goes on from the highest');
  await next.release();
}));

test('another process sharing the file (a running server) wraps under the new version and opens blobs naming it', () => withDir(async (dir) => {
  const server = await openLocalKms({ dataDir: dir });
  const rotation = await openLocalKms({ dataDir: dir });
  await rotation.beginRotation();
  const fromRotation = await rotation.wrap(utf8('rewrapped'), 'ctx');
  assert.equal(text(await server.unwrap(fromRotation, 'ctx')), 'rewrapped', 'reads the file again on an unknown version');
  assert.equal(server.versionOf(await server.wrap(utf8('created meanwhile'), 'ctx')), 2);
  await rotation.release();
}));

test('two rotations exclude each other; a lock left by a dead process is taken over', () => withDir(async (dir) => {
  const a = await openLocalKms({ dataDir: dir });
  const b = await openLocalKms({ dataDir: dir });
  await a.beginRotation();
  await assert.rejects(b.beginRotation(), /another key rotation \(pid \d+\) is running/);
  await a.release();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(join(dir, `${MASTER_KEY_FILE}.lock`), `${dead}\n`);
  assert.equal((await b.beginRotation()).resumed, true);
  await b.release();
}));

test('an environment key cannot be rotated: the refusal says how to move to a key file', async () => {
  const kms = await openLocalKms({ masterKey: randomBytes(32).toString('hex') });
  await assert.rejects(kms.beginRotation(), /SEALPUSH_MASTER_KEY .*master\.key.*sealpush keys rotate/s);
});

test('key files with a bad rotation state are refused, naming the problem', () => withDir(async (dir) => {
  const key = () => randomBytes(32).toString('base64url');
  const cases: [unknown, RegExp][] = [
    [{ version: 1, keys: { 1: key(), 2: key() }, retiring: 1 }, /"retiring" is not a list/],
    [{ version: 1, keys: { 1: key(), 2: key() }, retiring: [3] }, /"retiring" names 3/],
    [{ version: 1, keys: { 1: key(), 2: key() }, retiring: [2] }, /"retiring" names 2/],
    [{ version: 1, keys: { 1: key() }, retiring: ['1'] }, /"retiring" names 1/],
    [{ version: 1, keys: { 0: key() } }, /bad key version "0"/],
    [{ version: 1, keys: {} }, /no keys/],
  ];
  for (const [doc, why] of cases) {
    await writeFile(join(dir, MASTER_KEY_FILE), JSON.stringify(doc), { mode: 0o600 });
    await assert.rejects(openLocalKms({ dataDir: dir }), why, JSON.stringify(doc));
  }
}));
