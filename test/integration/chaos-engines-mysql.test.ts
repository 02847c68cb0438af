// The short form of `npm run chaos -- engines-mysql` (docs/reliability.md): a node on a MariaDB
// of its own, through a TCP proxy, under load while the database is restarted (SIGTERM, then
// kill -9), stopped with SIGSTOP, and the proxy resets or blackholes every connection, once
// each. Publishes and reads get 503 ERR_UNAVAILABLE during a fault and nothing else, the node
// recovers after each one without a restart, and the history shows nothing lost, duplicated
// or reordered and a verifying audit chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enginesMysqlRun } from '../../chaos/engines/runs.js';
import { runEnginesMysql } from '../../chaos/engines/scenario.js';
import { mariadbMissing } from '../helpers/mariadb-server.js';

test('MariaDB restarted, stopped and cut under load: 503s only, recovery after each, nothing lost', { timeout: 300_000, skip: mariadbMissing() }, async () => {
  const result = await runEnginesMysql(enginesMysqlRun(true));
  const summary = JSON.stringify({ ...result.faultVerdict, lost: result.lost.slice(0, 5), duplicated: result.duplicated.slice(0, 5) });
  assert.equal(result.faultCount, 5, 'one of each fault');
  assert.deepEqual(result.faultVerdict.problems, [], summary);
  assert.ok(result.faultVerdict.faults.every((f) => f.firstAcceptMs !== null), 'a publish accepted after every heal');
  assert.ok(result.faultVerdict.faults.some((f) => f.refused > 0), `publishes were refused during the faults: ${summary}`);
  assert.ok(result.accepted > 0, 'the load got messages accepted');
  assert.deepEqual([result.lost, result.duplicated, result.unexpected, result.reordered, result.backwards], [[], [], [], [], []], summary);
  assert.deepEqual(result.refusals, [], 'nothing refused for good');
  assert.equal(result.acked, result.accepted, 'every message ended acked');
  assert.deepEqual(result.webhookMissing, [], 'a message.acked webhook for every acked message');
  assert.equal(result.auditVerified, true, 'sealpush audit verify passes');
  assert.equal(result.passed, true);
});
