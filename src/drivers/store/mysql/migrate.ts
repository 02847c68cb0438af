/**
 * Applies MYSQL_MIGRATIONS (`sealpush migrate`), safe to run from several nodes at once.
 *
 * The lock. MySQL commits each DDL statement on its own, so a transaction cannot hold a
 * migration together. Instead one connection holds a row lock for the whole run: it opens
 * a transaction and reads the single row of `schema_lock` FOR UPDATE, while a second
 * connection runs the DDL (which touches other tables, so it never commits the lock's
 * transaction). A second `migrate` waits on that row, then reads the version again and
 * finds nothing left to apply. If the process dies, its connection closes and the server
 * releases the lock at once: no stale lock row to clean up, unlike an inserted lock row,
 * and no GET_LOCK, which TiDB and Vitess do not (fully) support. Only InnoDB row locks,
 * which every MySQL-protocol engine has, are used.
 */
import { createConnection, type Connection, type Pool } from 'mysql2/promise';
import { linkSettings } from './link.js';
import { MYSQL_MIGRATIONS, MYSQL_SCHEMA_VERSION, type MysqlMigration } from './schema.js';

const ER_NO_SUCH_TABLE = 1146;
const ER_LOCK_WAIT_TIMEOUT = 1205;
/** CREATE INDEX of an index that exists: an earlier, interrupted run of the migration made it. */
const ER_DUP_KEYNAME = 1061;
/** ADD COLUMN of a column that exists: likewise. */
const ER_DUP_FIELDNAME = 1060;

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    BIGINT       NOT NULL PRIMARY KEY,
  name       VARCHAR(255) NOT NULL,
  applied_at BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
const LOCK_TABLE = 'CREATE TABLE IF NOT EXISTS schema_lock (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB';

export interface MysqlMigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly { readonly version: number; readonly name: string }[];
}

/** The schema version of the database (0: none applied yet). */
export async function readMysqlSchemaVersion(conn: Pool | Connection): Promise<number> {
  try {
    const [rows] = await conn.query('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations');
    return Number((rows as { version: number | string }[])[0]?.version ?? 0);
  } catch (err) {
    if ((err as { errno?: number }).errno === ER_NO_SUCH_TABLE) return 0;
    throw err;
  }
}

/**
 * Brings the schema at `url` up to this build's version; `onApply` is called before each
 * migration runs (progress). Refuses a schema newer than the build.
 */
export async function migrateMysql(url: string, now: number, onApply?: (migration: MysqlMigration) => void): Promise<MysqlMigrationReport> {
  // The URL's connectTimeout applies; its queryTimeout does not (a migration may take long).
  const { uri, connectTimeout } = linkSettings(url);
  const lock = await createConnection({ uri, connectTimeout });
  let ddl: Connection | undefined;
  try {
    ddl = await createConnection({ uri, connectTimeout });
    await ddl.query(MIGRATIONS_TABLE);
    await ddl.query(LOCK_TABLE);
    // A plain read first: INSERT IGNORE of an existing row would wait on the lock it holds.
    const [lockRows] = await ddl.query('SELECT id FROM schema_lock WHERE id = 1');
    if ((lockRows as unknown[]).length === 0) await ddl.query('INSERT IGNORE INTO schema_lock (id) VALUES (1)');
    await lock.query('START TRANSACTION');
    for (;;) {
      try {
        await lock.query('SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE');
        break;
      } catch (err) {
        // Another node's migration is long: keep waiting for it.
        if ((err as { errno?: number }).errno !== ER_LOCK_WAIT_TIMEOUT) throw err;
      }
    }
    const from = await readMysqlSchemaVersion(ddl);
    if (from > MYSQL_SCHEMA_VERSION) {
      throw new Error(`the database schema is at version ${from}, newer than this build knows (${MYSQL_SCHEMA_VERSION}): this sealpush build is older; upgrade it`);
    }
    const applied: MysqlMigration[] = [];
    for (const migration of MYSQL_MIGRATIONS) {
      if (migration.version <= from) continue;
      onApply?.(migration);
      for (const statement of migration.statements) {
        await ddl.query(statement).catch((err: unknown) => {
          const errno = (err as { errno?: number }).errno;
          if (errno !== ER_DUP_KEYNAME && errno !== ER_DUP_FIELDNAME) throw err;
        });
      }
      await ddl.execute('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now]);
      applied.push(migration);
    }
    await lock.query('COMMIT');
    return { from, to: Math.max(from, MYSQL_SCHEMA_VERSION), applied: applied.map(({ version, name }) => ({ version, name })) };
  } finally {
    await ddl?.end().catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}
