import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTER_KEY_FILE, openLocalKms, parseMasterKey } from '../../src/drivers/kms/local.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealpush-kms-unit-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('first use creates the data dir 0700 and a 0600 key file with one 32-byte key', () => withDir(async (root) => {
  const dataDir = join(root, 'data');
  await openLocalKms({ dataDir });
  assert.equal(await mode(dataDir), 0o700);
  const file = join(dataDir, MASTER_KEY_FILE);
  assert.equal(await mode(file), 0o600);
  const doc = JSON.parse(await readFile(file, 'utf8')) as { version: number; keys: Record<string, string> };
  assert.equal(doc.version, 1);
  assert.deepEqual(Object.keys(doc.keys), ['1']);
  assert.equal(Buffer.from(doc.keys['1'] as string, 'base64url').length, 32);
  assert.deepEqual(await readdir(dataDir), [MASTER_KEY_FILE], 'no temporary file is left behind');
}));

test('the key persists: a blob wrapped before a reopen unwraps after it', () => withDir(async (dataDir) => {
  const blob = await (await openLocalKms({ dataDir })).wrap(new TextEncoder().encode('s3cret'), 'app:A');
  const again = await openLocalKms({ dataDir });
  assert.equal(text(await again.unwrap(blob, 'app:A')), 's3cret');
}));

test('racing first opens all end up with the one key that landed', () => withDir(async (root) => {
  const dataDir = join(root, 'data');
  const all = await Promise.all(Array.from({ length: 8 }, () => openLocalKms({ dataDir })));
  const blobs = await Promise.all(all.map((kms, i) => kms.wrap(new Uint8Array([i]), 'race')));
  for (const kms of all) {
    for (const [i, blob] of blobs.entries()) assert.deepEqual([...(await kms.unwrap(blob, 'race'))], [i]);
  }
  assert.deepEqual(await readdir(dataDir), [MASTER_KEY_FILE]);
}));

test('an environment key in hex or base64url is the same key, and no file is written', () => withDir(async (dataDir) => {
  const key = randomBytes(32);
  const fromHex = await openLocalKms({ masterKey: key.toString('hex'), dataDir });
  const fromB64 = await openLocalKms({ masterKey: key.toString('base64url') });
  const blob = await fromHex.wrap(new TextEncoder().encode('env'), 'ctx');
  assert.equal(text(await fromB64.unwrap(blob, 'ctx')), 'env');
  assert.deepEqual(await readdir(dataDir), []);
  const fromFile = await openLocalKms({ dataDir });
  await assert.rejects(fromFile.unwrap(blob, 'ctx'), 'another key does not open it');
}));

test('a malformed environment key is refused', async () => {
  for (const bad of ['short', 'ab'.repeat(31), 'zz'.repeat(32), randomBytes(31).toString('base64url'), randomBytes(33).toString('base64url')]) {
    await assert.rejects(openLocalKms({ masterKey: bad }), /SEALPUSH_MASTER_KEY/, bad);
  }
  assert.throws(() => parseMasterKey('not a key'));
});

test('the blob names format 1 and the key version, and is rejected when altered or under another context', () => withDir(async (dataDir) => {
  const kms = await openLocalKms({ dataDir });
  const blob = await kms.wrap(new Uint8Array(10), 'app:A');
  assert.equal(blob.length, 1 + 4 + 12 + 10 + 16);
  assert.equal(blob[0], 1);
  assert.equal(Buffer.from(blob).readUInt32BE(1), kms.keyVersion);
  await assert.rejects(kms.unwrap(blob, 'app:B'), /another context/);
  const altered = Uint8Array.from(blob);
  altered[20] = (altered[20] as number) ^ 0x80;
  await assert.rejects(kms.unwrap(altered, 'app:A'), /altered/);
}));

test('a key file readable by group or others is refused, naming the file', () => withDir(async (dataDir) => {
  await openLocalKms({ dataDir });
  const file = join(dataDir, MASTER_KEY_FILE);
  for (const loose of [0o644, 0o640, 0o604]) {
    await chmod(file, loose);
    await assert.rejects(openLocalKms({ dataDir }), (err: Error) => err.message.includes(file) && /chmod 600/.test(err.message));
  }
  await chmod(file, 0o600);
  await openLocalKms({ dataDir });
}));

test('a malformed key file is refused, naming the file', () => withDir(async (dataDir) => {
  const file = join(dataDir, MASTER_KEY_FILE);
  const bad = [
    'not json',
    '[]',
    JSON.stringify({ version: 2, keys: { 1: randomBytes(32).toString('base64url') } }),
    JSON.stringify({ version: 1, keys: {} }),
    JSON.stringify({ version: 1, keys: { 1: randomBytes(16).toString('base64url') } }),
    JSON.stringify({ version: 1, keys: { zero: randomBytes(32).toString('base64url') } }),
  ];
  for (const content of bad) {
    await writeFile(file, content, { mode: 0o600 });
    await assert.rejects(openLocalKms({ dataDir }), (err: Error) => err.message.includes(file) && /malformed/.test(err.message), content);
  }
}));

test('after a rotation the newest version wraps and older blobs still unwrap', () => withDir(async (dataDir) => {
  const file = join(dataDir, MASTER_KEY_FILE);
  const v1 = randomBytes(32).toString('base64url');
  await writeFile(file, JSON.stringify({ version: 1, keys: { 1: v1 } }), { mode: 0o600 });
  const old = await (await openLocalKms({ dataDir })).wrap(new TextEncoder().encode('old'), 'ctx');
  await writeFile(file, JSON.stringify({ version: 1, keys: { 1: v1, 2: randomBytes(32).toString('base64url') } }), { mode: 0o600 });
  const rotated = await openLocalKms({ dataDir });
  assert.equal(rotated.keyVersion, 2);
  assert.equal(text(await rotated.unwrap(old, 'ctx')), 'old');
  const fresh = await rotated.wrap(new TextEncoder().encode('new'), 'ctx');
  assert.equal(Buffer.from(fresh).readUInt32BE(1), 2);
}));

test('with neither a master key nor a data dir, opening fails', async () => {
  await assert.rejects(openLocalKms({}), /masterKey or a dataDir/);
});

// Across a master-key rotation: add a version, resume, retire, other processes following
// along, the rotation lock, and files that are refused.

type KeyFileDoc = { version: number; keys: Record<string, string>; retiring?: number[] };
const readDoc = async (dir: string) => JSON.parse(await readFile(join(dir, MASTER_KEY_FILE), 'utf8')) as KeyFileDoc;
const utf8 = (text: string) => new TextEncoder().encode(text);

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
