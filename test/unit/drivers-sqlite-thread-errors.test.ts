/**
 * A failure crosses the SQLite store's thread boundary as a structured-cloned reply
 * (sqlite/thread-protocol.ts): a SealPushError thrown on the store's thread rejects the
 * caller's promise with the same catalogue code, so the REST layer answers it as the catalogue
 * says (e.g. 503 for ERR_UNAVAILABLE) instead of a 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { isSealPushError, SealPushError } from '../../src/domain/errors.js';
import { failureOf, failureReply, type FailureReply } from '../../src/drivers/store/sqlite/thread-protocol.js';

/** Posts the reply through a real MessagePort (structured clone), as the worker does. */
async function acrossThePort(reply: FailureReply): Promise<FailureReply> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = once(port2, 'message');
    port1.postMessage(reply);
    return ((await received) as [FailureReply])[0];
  } finally {
    port1.close();
    port2.close();
  }
}

test('a SealPushError keeps its catalogue code and message across the thread', async () => {
  const err = failureOf(await acrossThePort(failureReply(new SealPushError('ERR_UNAVAILABLE', 'The database cannot write now'))));
  assert.ok(isSealPushError(err));
  assert.equal(err.code, 'ERR_UNAVAILABLE');
  assert.equal(err.message, 'The database cannot write now');
});

test('any other failure stays a plain Error with its message, and no code', async () => {
  const reply = await acrossThePort(failureReply(new TypeError('bad row')));
  assert.equal(reply.code, undefined);
  const err = failureOf(reply);
  assert.ok(!isSealPushError(err));
  assert.equal(err.message, 'bad row');
  assert.equal(failureOf(failureReply('a thrown string')).message, 'a thrown string');
});
