/**
 * Store on MySQL (mysql2, promise API): MySQL 8, MariaDB 10.11+, and any engine of
 * the MySQL protocol that takes plain SQL (TiDB, Vitess). Several nodes share one database.
 * One object holds every role port, one file each: mysql/messages.ts (with the group commit
 * of mysql/commit.ts), apps.ts, clients.ts, keys.ts and audit.ts, all on one link.
 *
 * Durability: a resolved `commit` has been committed by InnoDB; with the server's default
 * innodb_flush_log_at_trx_commit=1 (and sync_binlog=1) it survives a crash of the database
 * host too. The driver does not change those settings (docs/deploy.md).
 *
 * Concurrency. Every transaction runs at READ COMMITTED, so each statement reads the latest
 * committed rows. The rows a transaction depends on are locked, always in this order:
 * clients (FOR UPDATE, by id: a client's last_seq, so seqs are assigned once across nodes),
 * then messages, then the audit head (FOR UPDATE: appends serialize across nodes, and their
 * seqs become visible in order). A deadlock, a lock-wait timeout, or a message id that another
 * node inserted meanwhile retries the transaction (mysql/conn.ts).
 *
 * Statements. Fixed-shape ones are prepared (`execute`, cached per connection); lists of
 * variable length are cut into a few shapes (mysql/chunks.ts). LIMIT takes a validated
 * integer in the text (MySQL 8 refuses a DOUBLE parameter there).
 */
import type { Pool, PoolOptions, TypeCastField } from 'mysql2/promise';
import type { Store } from '../../../domain/ports/store.js';
import type { Logger } from '../../../domain/ports/runtime.js';
import { MYSQL_SCHEMA_VERSION } from './schema.js';
import { readMysqlSchemaVersion } from './migrate.js';
import { MysqlLink, linkSettings } from './link.js';
import { mysqlMessageLog } from './messages.js';
import { mysqlAppRegistry } from './apps.js';
import { mysqlClientRegistry } from './clients.js';
import { mysqlKeyVault } from './keys.js';
import { mysqlAuditLog } from './audit.js';
import { mysqlWebhooks } from './webhooks.js';

export interface MysqlStoreOptions {
  /** mysql://user:password@host:port/database */
  readonly url: string;
  /** Connections of this node's pool. Default 10. */
  readonly connectionLimit?: number;
  /** See SqliteStoreOptions.maxPendingPerClient. Default 10000. */
  readonly maxPendingPerClient?: number;
  readonly logger?: Logger;
}

/** The schema is not the one this build was made for: `serve` refuses to start. */
export class MysqlSchemaError extends Error {
  override name = 'MysqlSchemaError';
}

/** VARBINARY columns that hold text (see mysql/schema.ts): decoded as UTF-8 strings. */
const TEXT_COLUMNS = new Set(['id', 'app_id', 'client_id', 'purpose', 'issuer', 'kid', 'alg', 'kind', 'endpoint_id', 'message_id', 'url', 'last_error']);

function typeCast(field: TypeCastField, next: () => unknown): unknown {
  if (field.type === 'VAR_STRING' && TEXT_COLUMNS.has(field.name)) return field.string('utf8');
  return next();
}

/** The role ports on `link`; commit stays one transaction, with its audit appends. */
function mysqlStore(link: MysqlLink, maxPendingPerClient = 10_000): Store {
  let closed = false;
  return {
    ...mysqlMessageLog(link, maxPendingPerClient),
    ...mysqlAppRegistry(link),
    ...mysqlClientRegistry(link),
    ...mysqlKeyVault(link),
    ...mysqlAuditLog(link),
    ...mysqlWebhooks(link),

    async ping() {
      if (closed) throw new Error('mysql store: closed');
      await link.executeAlone('SELECT 1', []);
    },

    async close() {
      if (closed) return;
      closed = true;
      await link.end();
    },
  };
}

/** The pool options every connection of the driver shares (the migration runner too). */
export function mysqlPoolOptions(url: string, connectionLimit = 10): PoolOptions {
  const { uri, connectTimeout } = linkSettings(url);
  return {
    uri,
    connectionLimit,
    connectTimeout,
    typeCast,
    // mysql2 connects with CLIENT_FOUND_ROWS by default: an UPDATE's affectedRows counts the
    // rows matched, as SQLite's changes do (a no-op update still finds its row).
    maxPreparedStatements: 512,
  };
}

/** MariaDB's "unknown system variable": MySQL 8 has no idle_transaction_timeout. */
const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

/**
 * Sets up every connection of a node's pool before its first use: READ COMMITTED (see the
 * header), and on MariaDB an `idle_transaction_timeout` of half the query timeout (at least
 * 1 s). A node that stops in the middle of a transaction (SIGSTOP, a frozen VM, a partition
 * that keeps its TCP connection open) holds that transaction's row locks, the audit head among
 * them, so every other node's commits would wait for it until their own statements time out
 * (queryTimeout), and then back off: the whole cluster refusing publishes for as long as one
 * node is stopped. The server instead drops the stopped node's connection, which rolls its
 * transaction back (nothing of it was committed, so nothing was acknowledged), before the
 * waiting statements give up. No transaction of the driver idles that long between two of
 * its statements, except while its node stopped running. MySQL 8 has no such setting: there
 * a stopped node's locks are held until it runs again (docs/deploy.md).
 */
export function prepareSessions(pool: Pool, queryTimeoutMs: number, logger?: Logger): void {
  const idleSeconds = Math.max(1, Math.floor(queryTimeoutMs / 2000));
  pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    // The connection event hands over mysql2's callback connection: a callback, so an error is not thrown.
    const core = conn as unknown as { query(sql: string, done: (err: { errno?: number } | null) => void): void };
    core.query(`SET SESSION idle_transaction_timeout = ${idleSeconds}`, (err) => {
      if (err !== null && err.errno !== ER_UNKNOWN_SYSTEM_VARIABLE) logger?.warn({ errno: err.errno }, 'mysql store: could not set idle_transaction_timeout');
    });
  });
}

/**
 * Opens a pool on `url` and checks the schema: a database behind this build (run
 * `sealpush migrate`) or ahead of it (an older build) is refused with MysqlSchemaError.
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<Store> {
  const link = new MysqlLink(mysqlPoolOptions(options.url, options.connectionLimit), linkSettings(options.url).queryTimeout);
  const pool = link.pool;
  prepareSessions(pool, link.queryTimeout, options.logger);
  try {
    const version = await readMysqlSchemaVersion(pool);
    if (version < MYSQL_SCHEMA_VERSION) {
      throw new MysqlSchemaError(
        `mysql store: the database schema is at version ${version}, this build needs ${MYSQL_SCHEMA_VERSION}: run \`sealpush migrate\` first`,
      );
    }
    if (version > MYSQL_SCHEMA_VERSION) {
      throw new MysqlSchemaError(
        `mysql store: the database schema is at version ${version}, newer than this build knows (${MYSQL_SCHEMA_VERSION}): this sealpush build is older than the schema; upgrade it`,
      );
    }
    options.logger?.info({ schemaVersion: version }, 'mysql store open');
    return mysqlStore(link, options.maxPendingPerClient);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
