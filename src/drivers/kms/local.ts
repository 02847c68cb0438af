/**
 * Kms with a local 256-bit master key: from SEALPUSH_MASTER_KEY (passed in as `masterKey`),
 * else from `<dataDir>/master.key`, created on first use.
 *
 * Blob format, version 1 (all integers big-endian):
 *
 *   [u8 format = 1][u32 keyVersion][12-byte nonce][ciphertext][16-byte GCM tag]
 *
 * AES-256-GCM under master key `keyVersion`, with a fresh random nonce per wrap and
 * AAD = UTF-8 of "sealpush-kms-v1\n<context>\n<keyVersion>", so a blob opens only under
 * the context it was wrapped for. Random 96-bit nonces are safe for far more wraps than a
 * KMS makes (app secrets and server keys, not messages).
 *
 * Key file: JSON `{ "version": 1, "keys": { "1": "<base64url of 32 bytes>" } }`, mode
 * 0600 in a 0700 directory. Rotation adds a version; the highest one wraps, every listed
 * one unwraps. An environment key is version 1.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kms } from '../../domain/ports/kms.js';

export interface LocalKmsOptions {
  /** Where master.key lives (created 0700 if absent). Needed unless `masterKey` is given. */
  readonly dataDir?: string;
  /** 32 bytes as base64url or hex (SEALPUSH_MASTER_KEY). Takes precedence over the file. */
  readonly masterKey?: string;
}

export const MASTER_KEY_FILE = 'master.key';
const FORMAT = 1;
const HEADER_BYTES = 1 + 4 + 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

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

function aad(context: string, keyVersion: number): Buffer {
  return Buffer.from(`sealpush-kms-v1\n${context}\n${keyVersion}`, 'utf8');
}

export class LocalKms implements Kms {
  readonly #keys: ReadonlyMap<number, Buffer>;
  readonly #current: number;

  /** `keys`: key version -> 32-byte master key. Use openLocalKms. */
  constructor(keys: ReadonlyMap<number, Buffer>) {
    if (keys.size === 0) throw new Error('LocalKms: no master key');
    for (const [version, key] of keys) {
      if (!Number.isInteger(version) || version < 1 || version > 0xffffffff || key.length !== KEY_BYTES) {
        throw new Error(`LocalKms: master key version ${version} is invalid`);
      }
    }
    this.#keys = keys;
    this.#current = Math.max(...keys.keys());
  }

  /** The version that wraps new blobs. */
  get keyVersion(): number {
    return this.#current;
  }

  async wrap(plaintext: Uint8Array, context: string): Promise<Uint8Array> {
    const key = this.#keys.get(this.#current) as Buffer;
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(FORMAT, 0);
    header.writeUInt32BE(this.#current, 1);
    const nonce = randomBytes(12);
    nonce.copy(header, 5);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(context, this.#current));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  async unwrap(blob: Uint8Array, context: string): Promise<Uint8Array> {
    const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (bytes.length < HEADER_BYTES + TAG_BYTES || bytes.readUInt8(0) !== FORMAT) {
      throw new Error('LocalKms: not a wrapped blob (bad length or format byte)');
    }
    const version = bytes.readUInt32BE(1);
    const key = this.#keys.get(version);
    if (key === undefined) throw new Error(`LocalKms: the blob names key version ${version}, which is not loaded`);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(5, HEADER_BYTES));
    decipher.setAAD(aad(context, version));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error('LocalKms: cannot unwrap: the blob was altered, or wrapped for another context');
    }
  }
}

function parseKeyFile(file: string, text: string): Map<number, Buffer> {
  const malformed = (why: string) =>
    new Error(`LocalKms: ${file} is malformed (${why}); expected {"version":1,"keys":{"1":"<base64url 32 bytes>"}}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw malformed('not an object');
  const { version, keys } = doc as { version?: unknown; keys?: unknown };
  if (version !== 1) throw malformed(`unknown version ${String(version)}`);
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw malformed('no "keys" object');
  const out = new Map<number, Buffer>();
  for (const [id, value] of Object.entries(keys)) {
    if (!/^[1-9][0-9]{0,9}$/.test(id) || Number(id) > 0xffffffff) throw malformed(`bad key version "${id}"`);
    if (typeof value !== 'string') throw malformed(`key ${id} is not a string`);
    try {
      out.set(Number(id), parseMasterKey(value));
    } catch {
      throw malformed(`key ${id} is not 32 bytes of base64url`);
    }
  }
  if (out.size === 0) throw malformed('no keys');
  return out;
}

/** Reads the key file, refusing one that others could read. Rejects with ENOENT if absent. */
async function readKeyFile(file: string): Promise<Map<number, Buffer>> {
  const handle = await open(file, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`LocalKms: ${file} is not a regular file`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(`LocalKms: ${file} has mode ${mode}, readable by group or others; run chmod 600 on it`);
    }
    return parseKeyFile(file, await handle.readFile('utf8'));
  } finally {
    await handle.close();
  }
}

/**
 * Creates the key file unless it exists. The key is written and fsynced under a private
 * temporary name (O_EXCL, 0600), then hard-linked into place: link fails if the file
 * exists, so of two racing processes exactly one key lands, complete, and both read it.
 */
async function createKeyFile(dir: string, file: string): Promise<void> {
  const temp = join(dir, `.${MASTER_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const content = `${JSON.stringify({ version: 1, keys: { 1: randomBytes(KEY_BYTES).toString('base64url') } })}\n`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export async function openLocalKms(options: LocalKmsOptions): Promise<LocalKms> {
  if (options.masterKey !== undefined && options.masterKey !== '') {
    let key: Buffer;
    try {
      key = parseMasterKey(options.masterKey);
    } catch (err) {
      throw new Error(`LocalKms: SEALPUSH_MASTER_KEY is invalid: ${(err as Error).message}`);
    }
    return new LocalKms(new Map([[1, key]]));
  }
  if (options.dataDir === undefined) throw new Error('LocalKms: give a masterKey or a dataDir');
  const file = join(options.dataDir, MASTER_KEY_FILE);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    return new LocalKms(await readKeyFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await createKeyFile(options.dataDir, file);
  return new LocalKms(await readKeyFile(file));
}
