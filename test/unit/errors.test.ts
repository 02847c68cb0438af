import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, ERROR_CODES, SealPushError, codeForClose, errorMessage, isTransientClose } from '../../src/domain/errors.js';

test('every catalogue entry has an HTTP status, a close code and a message', () => {
  for (const code of ERROR_CODES) {
    const entry = ERROR_CATALOGUE[code];
    assert.match(code, /^ERR_[A-Z_]+$/);
    assert.ok(entry.http >= 400 && entry.http <= 599, `${code} http`);
    assert.ok(entry.ws === 1001 || entry.ws === 1009 || entry.ws === 1011 || (entry.ws >= 4000 && entry.ws <= 4999), `${code} ws`);
    assert.ok(entry.message.length > 0);
  }
});

test('application close codes are unique, so a close code names one error', () => {
  const seen = new Map<number, string>();
  for (const code of ERROR_CODES) {
    const ws = ERROR_CATALOGUE[code].ws;
    assert.equal(seen.get(ws), undefined, `${code} shares close code ${ws} with ${seen.get(ws)}`);
    seen.set(ws, code);
  }
});

test('the codes the REST API promises map to the promised statuses', () => {
  assert.equal(ERROR_CATALOGUE.ERR_AUTH_SIGNATURE.http, 401);
  assert.equal(ERROR_CATALOGUE.ERR_AUTH_EXPIRED.http, 401);
  assert.equal(ERROR_CATALOGUE.ERR_AUTH_REPLAY.http, 401);
  assert.equal(ERROR_CATALOGUE.ERR_BAD_REQUEST.http, 400);
  assert.equal(ERROR_CATALOGUE.ERR_NOT_FOUND.http, 404);
  assert.equal(ERROR_CATALOGUE.ERR_TOO_LARGE.http, 413);
});

test('close codes split into transient (reconnect) and permanent (stop)', () => {
  assert.equal(isTransientClose(ERROR_CATALOGUE.ERR_FRAME.ws), true);
  assert.equal(isTransientClose(ERROR_CATALOGUE.ERR_SLOW_CONSUMER.ws), true);
  assert.equal(isTransientClose(1006), true);
  assert.equal(isTransientClose(ERROR_CATALOGUE.ERR_HANDSHAKE.ws), false);
  assert.equal(isTransientClose(ERROR_CATALOGUE.ERR_VERSION.ws), false);
  assert.equal(isTransientClose(ERROR_CATALOGUE.ERR_SESSION_REPLACED.ws), false);
  assert.equal(codeForClose(ERROR_CATALOGUE.ERR_FRAME.ws), 'ERR_FRAME');
  assert.equal(codeForClose(1000), undefined);
});

test('SealPushError serialises to the REST error shape', () => {
  const err = new SealPushError('ERR_NOT_FOUND', 'No such client');
  assert.deepEqual(err.toJSON(), { error: { code: 'ERR_NOT_FOUND', message: 'No such client' } });
  assert.equal(err.httpStatus, 404);
});

test('errorMessage gives an Error its message and anything else thrown its string form', () => {
  assert.equal(errorMessage(new SealPushError('ERR_NOT_FOUND', 'No such client')), 'No such client');
  assert.equal(errorMessage(new TypeError('bad')), 'bad');
  assert.equal(errorMessage('plain'), 'plain');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage(undefined), 'undefined');
});
