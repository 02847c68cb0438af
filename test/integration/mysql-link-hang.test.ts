// The MySQL driver's query timeout bounds every statement on a server that stops answering
// (a TCP proxy holding every byte), including one not yet prepared on its pooled connection:
// mysql2 prepares it first, and that PREPARE has no timeout of mysql2's own, so without the
// link's own bound the call waited as long as the server did (found by chaos engines-mysql).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as pause } from 'node:timers/promises';
import { MysqlLink, linkSettings } from '../../src/drivers/store/mysql/link.js';
import { mysqlPoolOptions } from '../../src/drivers/store/mysql/store.js';
import { freshDatabase, type TestDatabase } from '../helpers/mysql.js';
import { MYSQL_URL, mysqlMissing } from '../helpers/requirements.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const QUERY_TIMEOUT_MS = 1000;
/** Far past the timeout, far short of how long the proxy holds everything. */
const BOUND_MS = 8000;

const missing = mysqlMissing();
let db: TestDatabase;
let proxy: TcpProxy;
let link: MysqlLink;

before(async () => {
  if (missing) return;
  db = await freshDatabase();
  const target = new URL(MYSQL_URL!);
  proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 3306) });
  const url = new URL(db.url);
  url.host = `127.0.0.1:${proxy.port}`;
  url.search = `?connectTimeout=1000&queryTimeout=${QUERY_TIMEOUT_MS}`;
  link = new MysqlLink(mysqlPoolOptions(url.href, 1), linkSettings(url.href).queryTimeout); // one connection, reused
});

after(async () => {
  if (missing) return;
  await proxy.restore();
  await link.end();
  await proxy.close();
  await db.drop();
});

/** How `work` ended within BOUND_MS: its error code, `ok`, or `pending` (it hung). */
async function settled(work: Promise<unknown>): Promise<string> {
  const outcome = work.then(() => 'ok', (err: { code?: string }) => err.code ?? 'error');
  return Promise.race([outcome, pause(BOUND_MS).then(() => 'pending')]);
}

test('a statement not yet prepared on a pooled connection fails with ERR_UNAVAILABLE when the server stops answering', { skip: missing }, async () => {
  await link.executeAlone('SELECT 1', []); // the connection is open and idle in the pool
  proxy.hang();
  assert.equal(await settled(link.executeAlone('SELECT 2 AS never_prepared', [])), 'ERR_UNAVAILABLE');
  await proxy.restore();
  await pause(2500); // past the link's backoff
  assert.equal(await settled(link.executeAlone('SELECT 3 AS after_the_hang', [])), 'ok', 'a new connection serves once the server answers');
});
