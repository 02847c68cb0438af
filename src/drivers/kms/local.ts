/**
 * Kms with a local 256-bit master key: from SEALPUSH_MASTER_KEY (passed in as `masterKey`),
 * else from the key file `keyFile` (default `<dataDir>/master.key`; key-file.ts), created on
 * first use.
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
 * Rotation (docs/keys.md): the highest version in the file wraps, every listed one unwraps.
 * Another process (`sealpush keys rotate`) may change the file while this one runs, so a
 * file-backed LocalKms looks at the file again before each wrap (a stat; wraps are rare) and
 * when a blob names a version it does not hold. Versions it once held stay in memory: a
 * blob read just before its re-wrap still opens. An environment key is version 1, alone.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Kms, MasterKeyRing, RotationState } from '../../domain/ports/kms.js';
import {
  KEY_BYTES,
  MASTER_KEY_FILE,
  createKeyFile,
  keyFileStamp,
  lockKeyFile,
  parseMasterKey,
  readKeyFile,
  replaceKeyFile,
  type KeyFile,
} from './key-file.js';

export { MASTER_KEY_FILE, parseMasterKey } from './key-file.js';

export interface LocalKmsOptions {
  /** Where master.key lives (created 0700 if absent), unless `keyFile` says. Needed unless `masterKey` or `keyFile` is given. */
  readonly dataDir?: string;
  /** The key file itself (its directory created 0700 if absent). Default `<dataDir>/master.key`. */
  readonly keyFile?: string;
  /** 32 bytes as base64url or hex (SEALPUSH_MASTER_KEY). Takes precedence over the file. */
  readonly masterKey?: string;
}

const FORMAT = 1;
const HEADER_BYTES = 1 + 4 + 12;
const TAG_BYTES = 16;

/** Why an environment key cannot be rotated here, and what to do instead. */
export const ENV_KEY_ROTATION_REFUSED =
  'SEALPUSH_MASTER_KEY holds one key (version 1) and cannot be rotated by writing a file. To rotate: stop the server, ' +
  'write that key to the key file (masterKeyFile, default <data dir>/master.key) as {"version":1,"keys":{"1":"<the key>"}} with mode 0600, unset ' +
  'SEALPUSH_MASTER_KEY, start the server, then run `sealpush keys rotate` (docs/keys.md).';

function aad(context: string, keyVersion: number): Buffer {
  return Buffer.from(`sealpush-kms-v1\n${context}\n${keyVersion}`, 'utf8');
}

function checkKeys(keys: ReadonlyMap<number, Buffer>): void {
  if (keys.size === 0) throw new Error('LocalKms: no master key');
  for (const [version, key] of keys) {
    if (!Number.isInteger(version) || version < 1 || version > 0xffffffff || key.length !== KEY_BYTES) {
      throw new Error(`LocalKms: master key version ${version} is invalid`);
    }
  }
}

export class LocalKms implements Kms, MasterKeyRing {
  readonly #keys: Map<number, Buffer>;
  #current: number;
  readonly #file: string | undefined;
  #stamp: string | undefined;
  #unlock: (() => Promise<void>) | null = null;

  /** `keys`: key version -> 32-byte master key; `file`: the key file they came from. Use openLocalKms. */
  constructor(keys: ReadonlyMap<number, Buffer>, file?: { path: string; stamp: string }) {
    checkKeys(keys);
    this.#keys = new Map(keys);
    this.#current = Math.max(...keys.keys());
    this.#file = file?.path;
    this.#stamp = file?.stamp;
  }

  /** The version that wraps new blobs. */
  get keyVersion(): number {
    return this.#current;
  }

  versionOf(blob: Uint8Array): number {
    if (blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== FORMAT) {
      throw new Error('LocalKms: not a wrapped blob (bad length or format byte)');
    }
    return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(1);
  }

  async wrap(plaintext: Uint8Array, context: string): Promise<Uint8Array> {
    await this.#refresh();
    const version = this.#current;
    const key = this.#keys.get(version) as Buffer;
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(FORMAT, 0);
    header.writeUInt32BE(version, 1);
    const nonce = randomBytes(12);
    nonce.copy(header, 5);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(context, version));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  async unwrap(blob: Uint8Array, context: string): Promise<Uint8Array> {
    const version = this.versionOf(blob);
    if (!this.#keys.has(version)) await this.#refresh();
    const key = this.#keys.get(version);
    if (key === undefined) throw new Error(`LocalKms: the blob names key version ${version}, which is not loaded`);
    const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(5, HEADER_BYTES));
    decipher.setAAD(aad(context, version));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error('LocalKms: cannot unwrap: the blob was altered, or wrapped for another context');
    }
  }

  async beginRotation(): Promise<RotationState> {
    if (this.#file === undefined) throw new Error(ENV_KEY_ROTATION_REFUSED);
    const unlock = await lockKeyFile(this.#file);
    try {
      const file = await this.#load();
      if (file.retiring.length > 0) {
        this.#unlock = unlock;
        return { current: this.#current, retiring: file.retiring, resumed: true };
      }
      const next = Math.max(...file.keys.keys()) + 1;
      if (next > 0xffffffff) throw new Error('LocalKms: no master key version left');
      const keys = new Map(file.keys).set(next, randomBytes(KEY_BYTES));
      const retiring = [...file.keys.keys()].sort((a, b) => a - b);
      await this.#write({ keys, retiring });
      this.#unlock = unlock;
      return { current: next, retiring, resumed: false };
    } catch (err) {
      await unlock();
      throw err;
    }
  }

  async retire(): Promise<readonly number[]> {
    if (this.#file === undefined || this.#unlock === null) throw new Error('LocalKms: retire() without beginRotation()');
    const file = await this.#load();
    const keys = new Map([...file.keys].filter(([version]) => !file.retiring.includes(version)));
    await this.#write({ keys, retiring: [] });
    return file.retiring;
  }

  async release(): Promise<void> {
    const unlock = this.#unlock;
    this.#unlock = null;
    await unlock?.();
  }

  /** Writes the file and takes its keys (the old ones stay in memory). */
  async #write(content: KeyFile): Promise<void> {
    await replaceKeyFile(this.#file as string, content);
    this.#take(content.keys, await keyFileStamp(this.#file as string));
  }

  async #load(): Promise<KeyFile> {
    const file = await readKeyFile(this.#file as string);
    this.#take(file.keys, file.stamp);
    return file;
  }

  #take(keys: ReadonlyMap<number, Buffer>, stamp: string): void {
    checkKeys(keys);
    for (const [version, key] of keys) this.#keys.set(version, key);
    this.#current = Math.max(...keys.keys());
    this.#stamp = stamp;
  }

  /** Reads the key file again if it changed since this instance last read it. */
  async #refresh(): Promise<void> {
    if (this.#file === undefined) return;
    if ((await keyFileStamp(this.#file)) !== this.#stamp) await this.#load();
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
  if (options.keyFile === undefined && options.dataDir === undefined) throw new Error('LocalKms: give a masterKey or a dataDir (or a keyFile)');
  const path = options.keyFile ?? join(options.dataDir as string, MASTER_KEY_FILE);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const file = await readKeyFile(path);
    return new LocalKms(file.keys, { path, stamp: file.stamp });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await createKeyFile(path);
  const file = await readKeyFile(path);
  return new LocalKms(file.keys, { path, stamp: file.stamp });
}
