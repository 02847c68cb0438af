/**
 * Data directory discipline (issue 14): only `serve` and `init` create a data directory, a
 * database or a master key. Every other command opens what is there, or refuses and says where
 * it looked: a command run from the wrong directory must not make a fresh server key and
 * print it as if all were well (clients would then fail the handshake with nothing pointing
 * at the cause), nor a new master key (the stored secrets would be unreadable under it).
 */
import { existsSync } from 'node:fs';
import { ConfigError, maskedStoreUrl, type Config } from './config.js';
import { sqlitePath } from './compose/core.js';

/** Thrown when a command that must not create state finds none where it looked. */
export class DataDirMissingError extends ConfigError {
  override name = 'DataDirMissingError';
}

/** Where a command's state is: the data directory, the store and the master key's source. */
export function dataLocation(config: Config): { dataDir: string; store: string; masterKey: string } {
  return {
    dataDir: config.dataDir,
    store: config.store === 'sqlite' ? sqlitePath(config) : maskedStoreUrl(config.store),
    masterKey: hasMasterKeyInEnv(config) ? 'SEALPUSH_MASTER_KEY' : config.masterKeyFile,
  };
}

/** One line naming the state a command used, for stderr (stdout stays the command's output). */
export function dataLocationLine(config: Config): string {
  const where = dataLocation(config);
  return `sealpush: data directory ${where.dataDir}; store ${where.store}; master key ${where.masterKey}\n`;
}

/**
 * Refuses (DataDirMissingError, nothing created) unless the state a command needs exists: with
 * SQLite, the data directory and its database; the master key file unless the key comes from
 * SEALPUSH_MASTER_KEY. `migrate` needs neither the database (it creates the schema) nor the key.
 */
export function requireExistingData(config: Config, needs: { database: boolean; masterKey: boolean } = { database: true, masterKey: true }): void {
  const missing: string[] = [];
  if (config.store === 'sqlite') {
    if (!existsSync(config.dataDir)) missing.push(`the data directory ${config.dataDir}`);
    else if (needs.database && !existsSync(sqlitePath(config))) missing.push(`the database ${sqlitePath(config)}`);
  }
  if (needs.masterKey && !hasMasterKeyInEnv(config) && !existsSync(config.masterKeyFile)) missing.push(`the master key file ${config.masterKeyFile}`);
  if (missing.length === 0) return;
  throw new DataDirMissingError(
    `sealpush: no sealpush data in ${config.dataDir}: missing ${missing.join(' and ')}; nothing was created.\n` +
      '  Point at the data directory the server uses (its "data:" line at start) with --data DIR or SEALPUSH_DATA_DIR,\n' +
      '  or run the command from the directory `sealpush serve` runs in; `sealpush init` creates a new one.',
  );
}

function hasMasterKeyInEnv(config: Config): boolean {
  return config.masterKey !== undefined && config.masterKey !== '';
}
