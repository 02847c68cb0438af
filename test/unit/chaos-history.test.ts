// The crash loop's judge (chaos/crash-loop/history.ts): a clean history passes, and each kind
// of broken promise is caught and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, type History } from '../../chaos/crash-loop/history.js';

function history(changes: Partial<History> = {}): History {
  return {
    accepted: new Map([['a', ['a1', 'a2', 'a3']], ['b', ['b1']]]),
    received: new Map([['a', ['a1', 'a2', 'a3']], ['b', ['b1']]]),
    statuses: new Map([['a1', ['queued', 'delivered', 'acked', 'acked']], ['b1', ['queued', 'acked']], ['a2', ['delivered', 'expired']]]),
    ackedWebhooks: new Set(['a1', 'a2', 'a3', 'b1']),
    acked: new Set(['a1', 'a3', 'b1']),
    ...changes,
  };
}

test('a history that kept every promise passes, with its counts', () => {
  const verdict = checkHistory(history());
  assert.equal(verdict.ok, true);
  assert.deepEqual([verdict.accepted, verdict.received], [4, 4]);
});

test('a message accepted and never received is lost', () => {
  const verdict = checkHistory(history({ received: new Map([['a', ['a1', 'a3']], ['b', ['b1']]]) }));
  assert.deepEqual(verdict.lost, ['a2']);
  assert.deepEqual(verdict.reordered, [], 'a gap is a loss, not a reordering');
  assert.equal(verdict.ok, false);
});

test('a message received twice is duplicated, wherever the second copy comes', () => {
  const verdict = checkHistory(history({ received: new Map([['a', ['a1', 'a2', 'a1', 'a3']], ['b', ['b1', 'b1']]]) }));
  assert.deepEqual(verdict.duplicated, ['a1', 'b1']);
  assert.equal(verdict.ok, false);
});

test('messages of a client received in another order than accepted are reordered', () => {
  const verdict = checkHistory(history({ received: new Map([['a', ['a2', 'a1', 'a3']], ['b', ['b1']]]) }));
  assert.deepEqual(verdict.reordered, ['a']);
  assert.equal(verdict.ok, false);
});

test('a message nobody published for that client is unexpected', () => {
  const verdict = checkHistory(history({ received: new Map([['a', ['a1', 'a2', 'a3', 'b1']], ['b', ['b1']]]) }));
  assert.deepEqual(verdict.unexpected, ['b1']);
  assert.equal(verdict.ok, false);
});

test('a status that goes back, or from one final status to the other, is caught', () => {
  for (const reads of [['acked', 'delivered'], ['delivered', 'queued'], ['acked', 'expired'], ['expired', 'acked'], ['queued', 'lost']]) {
    const verdict = checkHistory(history({ statuses: new Map([['a1', reads]]) }));
    assert.deepEqual(verdict.backwards, ['a1'], reads.join(' > '));
  }
  assert.deepEqual(checkHistory(history({ statuses: new Map([['a1', ['queued', 'acked', 'acked']]]) })).backwards, []);
});

test('an acked message without a message.acked webhook is missing one', () => {
  const verdict = checkHistory(history({ ackedWebhooks: new Set(['a1', 'b1']) }));
  assert.deepEqual(verdict.webhookMissing, ['a3']);
  assert.equal(verdict.ok, false);
});
