/**
 * Where the master key file sits, relative to what it protects. In the default layout both
 * are in the data directory: fine for a first run on a laptop, but a copy of that directory
 * (a backup, a volume snapshot, a stolen disk) then holds the database and the key that
 * opens every secret in it. `serve` warns once about it on a node that others can reach
 * (docs/security.md, docs/deploy.md).
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Config } from './config.js';

export interface KeyBesideDatabase {
  readonly masterKeyFile: string;
  readonly database: string;
}

/** The path with its symbolic links resolved, so that two names for one directory compare equal. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isWithin(path: string, dir: string): boolean {
  const rel = relative(real(dir), real(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The key file and the SQLite database at `database` when the key file is inside the data
 * directory (the database's), else undefined: no key file (SEALPUSH_MASTER_KEY), a key file
 * elsewhere, or a store that is not in the data directory (MySQL).
 */
export function masterKeyBesideDatabase(config: Config, database: string): KeyBesideDatabase | undefined {
  if (config.masterKey !== undefined || config.store !== 'sqlite') return undefined;
  if (!isWithin(config.masterKeyFile, config.dataDir) || !isWithin(database, config.dataDir)) return undefined;
  return { masterKeyFile: config.masterKeyFile, database };
}

/** What the warning says: both paths and how to move the key; never the key. */
export const KEY_BESIDE_DATABASE_WARNING =
  'the master key file sits in the data directory with the database it protects: a copy of the directory ' +
  '(a backup, a snapshot, a stolen disk) opens every stored secret. Keep the key elsewhere: set SEALPUSH_MASTER_KEY, ' +
  'or move the file outside the data directory and set SEALPUSH_MASTER_KEY_FILE (masterKeyFile) to it (docs/deploy.md)';
