// A node stopped (SIGSTOP, a frozen VM) in the middle of a transaction holds its row locks. On
// MariaDB every connection of a node's pool has an idle_transaction_timeout of half the query
// timeout (prepareSessions), so the server drops the stopped node's connection and rolls its
// transaction back, and another node's commit waiting on the same row goes through instead of
// timing out. Found by `npm run chaos -- engines-redis`: one paused node held the audit head
// and every other node refused publishes until it ran again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transaction, run, select } from '../../src/drivers/store/mysql/conn.js';
import { MysqlLink, linkSettings } from '../../src/drivers/store/mysql/link.js';
import { mysqlPoolOptions, prepareSessions } from '../../src/drivers/store/mysql/store.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { freshDatabase } from '../helpers/mysql.js';
import { mysqlMissing } from '../helpers/requirements.js';

/** Long enough that the waiting statement outlives the holder's idle timeout (4 s) by as much again. */
const QUERY_TIMEOUT_MS = 8000;

function nodeLink(url: string): MysqlLink {
  const link = new MysqlLink(mysqlPoolOptions(url, 2), linkSettings(url).queryTimeout);
  prepareSessions(link.pool, link.queryTimeout);
  return link;
}

test('a node stopped inside a transaction does not hold the other nodes\' commits', { skip: mysqlMissing() }, async (t) => {
  const db = await freshDatabase();
  const url = `${db.url}?queryTimeout=${QUERY_TIMEOUT_MS}`;
  const stopped = nodeLink(url);
  const running = nodeLink(url);
  try {
    const [{ version }] = (await db.query('SELECT VERSION() AS version')) as [{ version: string }];
    if (!/mariadb/i.test(version)) return void t.skip(`MySQL ${version} has no idle_transaction_timeout (docs/deploy.md)`);
    await db.query('CREATE TABLE head (id INT PRIMARY KEY, n INT NOT NULL)');
    await db.query('INSERT INTO head VALUES (1, 0)');

    const conn = await stopped.connection();
    await stopped.command(conn, 'START TRANSACTION');
    await stopped.execute(conn, 'UPDATE head SET n = 100 WHERE id = 1', []);
    // ...and the node stops here: it sends nothing more on this connection.

    const after = await transaction(running, async (tx) => {
      await run(tx, 'UPDATE head SET n = n + 1 WHERE id = 1');
      return (await select<{ n: number }>(tx, 'SELECT n FROM head WHERE id = 1'))[0]!.n;
    }).catch((err: unknown) => (isSealPushError(err) ? err.code : err));
    assert.equal(after, 1, 'the running node committed, over the stopped node\'s rolled-back change');

    // When the stopped node runs again, its transaction is gone: its COMMIT fails, nothing of it stays.
    await assert.rejects(stopped.command(conn, 'COMMIT'));
    stopped.release(conn, { fatal: true });
    assert.deepEqual(await db.query('SELECT n FROM head'), [{ n: 1 }]);
  } finally {
    await Promise.all([stopped.end(), running.end()]);
    await db.drop();
  }
});
