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
