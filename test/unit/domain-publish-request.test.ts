/** parsePublishRequest: every validation rule, with the error code it maps to. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePublishRequest, type PublishLimits } from '../../src/domain/publish-request.js';

const LIMITS: PublishLimits = { maxDataBytes: 10, defaultTtlSeconds: 300, maxTtlSeconds: 3600 };
const TO = 'client_A-1';

function refuses(input: unknown, code: 'ERR_BAD_REQUEST' | 'ERR_TOO_LARGE', why: string): void {
  assert.throws(() => parsePublishRequest(input, LIMITS), { name: 'SealPushError', code }, why);
}

test('a valid message: data as UTF-8 JSON text, the default ttl, no id', () => {
  const request = parsePublishRequest({ to: TO, data: { a: 1 } }, LIMITS);
  assert.equal(new TextDecoder().decode(request.data), '{"a":1}');
  assert.equal(request.to, TO);
  assert.equal(request.ttlSeconds, 300);
  assert.equal(request.id, undefined);
});

test('a message must be a JSON object', () => {
  for (const input of [null, undefined, [], [{ to: TO, data: 1 }], 'text', 42, true]) {
    refuses(input, 'ERR_BAD_REQUEST', JSON.stringify(input) ?? 'undefined');
  }
});

test('an unknown field is refused', () => {
  refuses({ to: TO, data: 1, extra: true }, 'ERR_BAD_REQUEST', 'extra');
  refuses({ to: TO, data: 1, ttlSeconds: 5 }, 'ERR_BAD_REQUEST', 'a near miss of ttl');
});

test('"to" must be a client id: 1 to 64 of A-Z a-z 0-9 _ -', () => {
  for (const to of [undefined, null, 42, '', 'a'.repeat(65), 'has space', 'dot.ted', 'slash/ed', 'ünïcode']) {
    refuses({ to, data: 1 }, 'ERR_BAD_REQUEST', `to=${String(to)}`);
  }
  for (const to of ['a', 'a'.repeat(64), 'Az09_-']) assert.equal(parsePublishRequest({ to, data: 1 }, LIMITS).to, to);
});

test('"data" is required, and any JSON value counts, falsy ones included', () => {
  refuses({ to: TO }, 'ERR_BAD_REQUEST', 'missing');
  refuses({ to: TO, data: undefined }, 'ERR_BAD_REQUEST', 'undefined');
  for (const data of [null, false, 0, '', [], {}]) {
    const text = new TextDecoder().decode(parsePublishRequest({ to: TO, data }, LIMITS).data);
    assert.equal(text, JSON.stringify(data));
  }
});

test('"ttl" is an integer number of seconds from 1 to maxTtlSeconds', () => {
  for (const ttl of [0, -1, 1.5, 3601, '60', null, Number.NaN, Number.POSITIVE_INFINITY]) {
    refuses({ to: TO, data: 1, ttl }, 'ERR_BAD_REQUEST', `ttl=${String(ttl)}`);
  }
  assert.equal(parsePublishRequest({ to: TO, data: 1, ttl: 1 }, LIMITS).ttlSeconds, 1);
  assert.equal(parsePublishRequest({ to: TO, data: 1, ttl: 3600 }, LIMITS).ttlSeconds, 3600);
});

test('"id" is 1 to 128 of A-Z a-z 0-9 . _ : -', () => {
  for (const id of ['', 'a'.repeat(129), 'has space', 'order/7', 'ünï', 7, null]) {
    refuses({ to: TO, data: 1, id }, 'ERR_BAD_REQUEST', `id=${String(id)}`);
  }
  for (const id of ['a', 'a'.repeat(128), 'job.1_a:b-C9']) assert.equal(parsePublishRequest({ to: TO, data: 1, id }, LIMITS).id, id);
});

test('the size limit applies to the JSON text of data, in UTF-8 bytes', () => {
  assert.equal(parsePublishRequest({ to: TO, data: 'abcdefgh' }, LIMITS).data.length, 10); // "abcdefgh"
  refuses({ to: TO, data: 'abcdefghi' }, 'ERR_TOO_LARGE', '11 ASCII bytes');

  // 'é' is one UTF-16 unit but two UTF-8 bytes.
  assert.equal(parsePublishRequest({ to: TO, data: 'éééé' }, LIMITS).data.length, 10);
  const five = 'ééééé';
  assert.ok(JSON.stringify(five).length <= LIMITS.maxDataBytes, 'under the limit in UTF-16 units');
  refuses({ to: TO, data: five }, 'ERR_TOO_LARGE', '12 bytes in UTF-8');
  refuses({ to: TO, data: 'a😀😀' }, 'ERR_TOO_LARGE', 'an astral character: 2 UTF-16 units, 4 UTF-8 bytes');
});
