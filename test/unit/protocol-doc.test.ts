import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/domain/errors.js';
import { FRAME_TYPE } from '../../src/crypto/frames.js';
import { PROTOCOL_VERSION, NOISE_PROTOCOL_NAME } from '../../src/crypto/hello.js';
import { REKEY_INTERVAL } from '../../src/crypto/rekey.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

test('every close code docs/protocol.md names is the catalogue one', () => {
  const rows = [...doc.matchAll(/\|\s*`(ERR_[A-Z_]+)`\s*\|\s*(\d{4})\s*\|/g)];
  assert.ok(rows.length >= 10, `found ${rows.length} rows`);
  for (const [, code, close] of rows) {
    assert.equal(ERROR_CATALOGUE[code as ErrorCode]?.ws, Number(close), `${code} in docs/protocol.md`);
  }
});

test('the constants docs/protocol.md states are the ones the code uses', () => {
  assert.ok(doc.includes(NOISE_PROTOCOL_NAME));
  assert.match(doc, new RegExp(`version\\s*=\\s*0x0${PROTOCOL_VERSION}`));
  for (const [name, value] of Object.entries(FRAME_TYPE)) {
    assert.match(doc, new RegExp(`\\| \`0x0${value}\` \\| ${name} \\|`), `frame type ${name}`);
  }
  assert.match(doc, new RegExp(REKEY_INTERVAL.toLocaleString('en-US').replace(',', ',?')));
});
