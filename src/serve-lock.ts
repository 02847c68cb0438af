/**
 * One serving node per SQLite data directory without Redis (issue 14): without a shared bus
 * a message published through one node is not delivered live to a client of another, so a
 * second `serve` on the same directory refuses to start.
 *
 * The lock is an exclusive SQLite lock on `<dataDir>/serve.lock` (locking_mode=EXCLUSIVE,
 * held from BEGIN EXCLUSIVE until the connection closes). It is a kernel file lock: it dies
 * with the process however the process ends (kill -9, OOM, power loss), so there is no stale
 * lock to clean up and no pid reuse to be fooled by, which a pid file only approximates. It
 * also holds between two nodes in one process (SQLite tracks its locks per file). The pid in
 * `serve.pid` only names the holder in the refusal; the lock decides.
 * With Redis the bus delivers across nodes, so several nodes may share a directory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, type Config } from './config.js';
import { createDataDir } from './compose/core.js';

export const SERVE_LOCK_FILE = 'serve.lock';
const PID_FILE = 'serve.pid';

/** Whether a node on `config` must hold the data directory alone. */
export function needsServeLock(config: Config): boolean {
  return config.store === 'sqlite' && config.redis === undefined;
}

/** Takes the lock (ConfigError when another node holds it); resolves to its release. */
export function lockDataDir(config: Config): () => void {
  createDataDir(config);
  const db = new Database(join(config.dataDir, SERVE_LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new ConfigError(
      `another sealpush serve${holder(config)} already serves the data directory ${config.dataDir}; ` +
        'a second node on one SQLite data directory would not deliver the first one\'s messages live. ' +
        'Stop it, give this one its own --data DIR, or run several nodes with SEALPUSH_REDIS (docs/deploy.md).',
    );
  }
  writeFileSync(join(config.dataDir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  return () => db.close();
}

function holder(config: Config): string {
  try {
    const pid = Number(readFileSync(join(config.dataDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
