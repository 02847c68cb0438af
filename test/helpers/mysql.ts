import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { MYSQL_URL } from './requirements.js';

export interface TestDatabase {
  /** mysql://... of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** Runs SQL on it (for a test's look around the port). */
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  drop(): Promise<void>;
}

/** A fresh, empty database sealpush_t_<random> on SEALPUSH_TEST_MYSQL's server; drop() removes it. */
export async function freshDatabase(): Promise<TestDatabase> {
  if (MYSQL_URL === undefined) throw new Error('SEALPUSH_TEST_MYSQL is not set');
  const name = `sealpush_t_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const conn = await createConnection({ uri: url.href });
  return {
    url: url.href,
    name,
    query: async (sql, params = []) => (await conn.query(sql, params))[0] as unknown[],
    drop: async () => {
      await conn.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
