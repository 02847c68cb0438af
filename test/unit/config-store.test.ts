import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, maskedStoreUrl, parseConfig } from '../../src/config.js';

describe('config: store', () => {
  test('sqlite is the default; SEALPUSH_STORE takes a mysql URL', () => {
    assert.equal(parseConfig({}).store, 'sqlite');
    const url = 'mysql://sealpush:s3cret@db.internal:3306/sealpush';
    assert.equal(loadConfig({ env: { SEALPUSH_STORE: url } }).store, url);
  });

  test('a bad store is a ConfigError that names the problem and never shows the password', () => {
    for (const [store, problem] of [
      ['postgres://u:hunter2@db/x', /unknown store postgres/],
      ['mysql://u:hunter2@db.internal:3306', /no database name/],
      ['mysql://u:hunter2@db.internal:3306/a/b', /no database name/],
      ['u:hunter2@db', /unknown store u|not a URL/],
      ['mysql:u:hunter2@/x', /no host|no database name/],
    ] as const) {
      assert.throws(() => parseConfig({ store }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, store);
        assert.match(err.message, problem, store);
        assert.ok(!err.message.includes('hunter2'), `${store}: ${err.message}`);
        return true;
      });
    }
  });

  test('maskedStoreUrl replaces the password only', () => {
    assert.equal(maskedStoreUrl('mysql://u:p%40ss@h:3306/db'), 'mysql://u:***@h:3306/db');
    assert.equal(maskedStoreUrl('mysql://u@h/db'), 'mysql://u@h/db');
    assert.equal(maskedStoreUrl('sqlite'), 'sqlite');
  });
});

test('maskedStoreUrl hides a password with an unescaped @ or /', () => {
  assert.equal(maskedStoreUrl('mysql://u:a@b/c@h:3306/db'), 'mysql://u:***@h:3306/db');
});

test('sqliteCacheMiB: unset leaves the driver default; the file or SEALPUSH_SQLITE_CACHE_MIB sets it; reaches the connection', async () => {
  const { DEFAULT_SQLITE_CACHE_MIB, openSqliteStore } = await import('../../src/drivers/store/sqlite/store.js');
  assert.equal(parseConfig({}).sqliteCacheMiB, undefined);
  assert.equal(parseConfig({ sqliteCacheMiB: 128 }).sqliteCacheMiB, 128);
  assert.equal(loadConfig({ env: { SEALPUSH_SQLITE_CACHE_MIB: '8' } }).sqliteCacheMiB, 8);
  for (const bad of [0, -1, 1.5, 20_000]) assert.throws(() => parseConfig({ sqliteCacheMiB: bad }), ConfigError, String(bad));
  assert.throws(() => loadConfig({ env: { SEALPUSH_SQLITE_CACHE_MIB: 'lots' } }), ConfigError);
  // The connection's cache_size, as the store's open log line reads it back from SQLite.
  for (const [given, mib] of [[undefined, DEFAULT_SQLITE_CACHE_MIB], [8, 8]] as const) {
    const lines: Record<string, unknown>[] = [];
    const logger = { info: (fields: Record<string, unknown>) => lines.push(fields), warn: () => undefined, error: () => undefined, debug: () => undefined };
    const store = openSqliteStore({ path: ':memory:', logger: logger as never, ...(given === undefined ? {} : { cacheSizeMiB: given }) });
    await store.close();
    assert.equal(lines.find((l) => 'cacheMiB' in l)?.cacheMiB, mib);
  }
});
