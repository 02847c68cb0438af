import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { migrateStore, openCore, sqlitePath } from '../compose/core.js';
import { loadServerIdentity } from '../compose/keys.js';
import { dataLocation } from '../data-dir.js';
import { configFor, printJson } from './context.js';

/**
 * `sealpush init`: creates the data directory, the database (SQLite) or schema (MySQL), the
 * master key file (unless SEALPUSH_MASTER_KEY gives the key) and the server's identity key.
 * Idempotent: what exists is kept. With `serve`, the only command that creates state.
 */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create the data directory, database, master key and server key (idempotent; `serve` does it too)')
    .option('--json', 'print {"dataDir", "store", "masterKey", "created": {...}, "serverKey", "fingerprint"} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(command);
      const sqlite = config.store === 'sqlite';
      const before = { dataDir: existsSync(config.dataDir), database: sqlite && existsSync(sqlitePath(config)), masterKeyFile: existsSync(config.masterKeyFile) };
      if (!sqlite) await migrateStore(config, () => undefined); // SQLite migrates itself when it opens
      const core = await openCore(config, pino({ level: 'warn' }, pino.destination(2)));
      let identity;
      try {
        const key = await loadServerIdentity(core);
        key.secret.fill(0);
        identity = key.identity;
      } finally {
        await core.close();
      }
      const usesKeyFile = dataLocation(config).masterKey === config.masterKeyFile;
      const created = {
        dataDir: !before.dataDir,
        database: sqlite && !before.database,
        masterKeyFile: usesKeyFile && !before.masterKeyFile,
      };
      const report = { ...dataLocation(config), created, serverKey: identity.publicKey, fingerprint: identity.fingerprint };
      if (options.json) return printJson(report);
      const made = Object.entries(created).filter(([, yes]) => yes).map(([what]) => what);
      process.stdout.write(
        `sealpush data directory ${report.dataDir} ${made.length === 0 ? 'already initialised, nothing created' : `initialised (created: ${made.join(', ')})`}\n` +
          `  store: ${report.store}\n  master key: ${report.masterKey}\n` +
          `  server key fingerprint: ${report.fingerprint}\n  server public key (serverKey): ${report.serverKey}\n`,
      );
    });
}
