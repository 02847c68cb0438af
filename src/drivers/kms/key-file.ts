/**
 * The local master key file: JSON, mode 0600 in a 0700 directory.
 *
 *   { "version": 1, "keys": { "1": "<base64url of 32 bytes>", "2": "..." }, "retiring": [1] }
 *
 * The highest key version wraps; every listed one unwraps. `retiring` (absent when empty)
 * lists the versions a `keys rotate` under way is moving blobs off; they leave `keys` once
 * nothing names them. Every change is written whole under a temporary name, fsynced and
 * renamed over the file, so a reader sees the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

export const MASTER_KEY_FILE = 'master.key';
export const KEY_BYTES = 32;
const MAX_VERSION = 0xffffffff;

export interface KeyFile {
  readonly keys: ReadonlyMap<number, Buffer>;
  readonly retiring: readonly number[];
}

/** Decodes a 32-byte key written as 64 hex digits or as (unpadded) base64url. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const unpadded = trimmed.replace(/=+$/, '');
  if (/^[A-Za-z0-9_-]+$/.test(unpadded)) {
    const key = Buffer.from(unpadded, 'base64url');
    if (key.length === KEY_BYTES && key.toString('base64url') === unpadded) return key;
  }
  throw new Error('the master key must be 32 bytes, as 64 hex digits or 43 base64url characters');
}

export function parseKeyFile(file: string, text: string): KeyFile {
  const malformed = (why: string) =>
    new Error(`LocalKms: ${file} is malformed (${why}); expected {"version":1,"keys":{"1":"<base64url 32 bytes>"}}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw malformed('not an object');
  const { version, keys, retiring } = doc as { version?: unknown; keys?: unknown; retiring?: unknown };
  if (version !== 1) throw malformed(`unknown version ${String(version)}`);
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw malformed('no "keys" object');
  const out = new Map<number, Buffer>();
  for (const [id, value] of Object.entries(keys)) {
    if (!/^[1-9][0-9]{0,9}$/.test(id) || Number(id) > MAX_VERSION) throw malformed(`bad key version "${id}"`);
    if (typeof value !== 'string') throw malformed(`key ${id} is not a string`);
    try {
      out.set(Number(id), parseMasterKey(value));
    } catch {
      throw malformed(`key ${id} is not 32 bytes of base64url`);
    }
  }
  if (out.size === 0) throw malformed('no keys');
  const current = Math.max(...out.keys());
  if (retiring === undefined) return { keys: out, retiring: [] };
  if (!Array.isArray(retiring)) throw malformed('"retiring" is not a list');
  for (const v of retiring) {
    if (typeof v !== 'number' || !out.has(v) || v === current) {
      throw malformed(`"retiring" names ${String(v)}, which is not a listed version below the current one`);
    }
  }
  return { keys: out, retiring: [...new Set(retiring as number[])].sort((a, b) => a - b) };
}

export function serializeKeyFile(content: KeyFile): string {
  const keys: Record<string, string> = {};
  for (const [version, key] of [...content.keys].sort(([a], [b]) => a - b)) keys[version] = key.toString('base64url');
  const doc = content.retiring.length === 0 ? { version: 1, keys } : { version: 1, keys, retiring: content.retiring };
  return `${JSON.stringify(doc)}\n`;
}

/** What identifies one written state of the file: a rename gives a new inode. */
export async function keyFileStamp(file: string): Promise<string> {
  const s = await stat(file);
  return `${s.ino}:${s.mtimeMs}:${s.size}`;
}

/** Reads the key file, refusing one that others could read. Rejects with ENOENT if absent. */
export async function readKeyFile(file: string): Promise<KeyFile & { stamp: string }> {
  const handle = await open(file, 'r');
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new Error(`LocalKms: ${file} is not a regular file`);
    if (process.platform !== 'win32' && (s.mode & 0o077) !== 0) {
      const mode = (s.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`LocalKms: ${file} has mode ${mode}, readable by group or others; run chmod 600 on it`);
    }
    return { ...parseKeyFile(file, await handle.readFile('utf8')), stamp: `${s.ino}:${s.mtimeMs}:${s.size}` };
  } finally {
    await handle.close();
  }
}

function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeTemp(temp: string, content: string): Promise<void> {
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates the key file with one fresh key unless it exists. Written and fsynced under a
 * private temporary name (O_EXCL, 0600), then hard-linked into place: link fails if the file
 * exists, so of two racing processes exactly one key lands, complete, and both read it.
 */
export async function createKeyFile(file: string): Promise<void> {
  const temp = tempName(file);
  await writeTemp(temp, serializeKeyFile({ keys: new Map([[1, randomBytes(KEY_BYTES)]]), retiring: [] }));
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
  await syncDir(dirname(file));
}

/** Replaces the key file atomically: temporary file (0600), fsync, rename, fsync of the directory. */
export async function replaceKeyFile(file: string, content: KeyFile): Promise<void> {
  const temp = tempName(file);
  await writeTemp(temp, serializeKeyFile(content));
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(file));
}

/**
 * Takes `<file>.lock` (O_EXCL, holding this pid) so that two rotations never both add a
 * version. A lock left by a process that no longer runs (killed mid-rotation) is taken over.
 * Resolves to the function that releases it.
 */
export async function lockKeyFile(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      return () => unlink(lock).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new Error(`another key rotation (pid ${holder}) is running on ${file}; wait for it, or remove ${lock} if that process is gone`);
    }
    await unlink(lock).catch(() => undefined);
  }
  throw new Error(`cannot take ${lock}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
