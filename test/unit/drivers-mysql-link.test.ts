import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MYSQL_TIMEOUTS, isLinkError, linkSettings } from '../../src/drivers/store/mysql/link.js';

test('linkSettings: the URL timeouts (defaults when absent), ours removed from what mysql2 gets', () => {
  assert.deepEqual(linkSettings('mysql://u:p@h:3306/db'), { uri: 'mysql://u:p@h:3306/db', ...MYSQL_TIMEOUTS });
  assert.deepEqual(linkSettings('mysql://u:p@h:3306/db?connectTimeout=700&queryTimeout=900&charset=utf8mb4'),
    { uri: 'mysql://u:p@h:3306/db?charset=utf8mb4', connectTimeout: 700, queryTimeout: 900 });
  for (const bad of ['0', '-5', '1.5', 'soon']) {
    assert.throws(() => linkSettings(`mysql://h/db?queryTimeout=${bad}`), /queryTimeout must be a positive number of milliseconds/);
  }
});

test('isLinkError: a lost, refused or timed-out link is one; an SQL error is not', () => {
  assert.ok(isLinkError({ fatal: true, code: 'PROTOCOL_CONNECTION_LOST' }));
  assert.ok(isLinkError({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' }), 'a statement timeout (not fatal for mysql2) still breaks the connection');
  assert.ok(isLinkError({ code: 'ECONNREFUSED' }));
  assert.ok(isLinkError({ errno: 1040, code: 'ER_CON_COUNT_ERROR' }));
  assert.ok(!isLinkError({ errno: 1062, code: 'ER_DUP_ENTRY' }));
  assert.ok(!isLinkError({ errno: 1213, code: 'ER_LOCK_DEADLOCK' }));
  assert.ok(!isLinkError(new Error('plain')));
  assert.ok(!isLinkError(undefined));
});
