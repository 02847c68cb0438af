// What the SDK makes of a close (src/client/close-policy.ts): permanent only when the server
// authenticated the code; every other permanent code is transient and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeClose, type CloseFacts } from '../../src/client/close-policy.js';
import { authenticatedCloseReason } from '../../src/crypto/node/close-reason.js';
import { webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

const secret = new Uint8Array(32).fill(9);
const judge = (facts: Partial<CloseFacts> & { code: number }) =>
  judgeClose(webNoiseCrypto, { reason: '', local: null, refused: null, sessionSecret: secret, ...facts });

test('a permanent code with the session token is permanent; without it, or with another session\'s, transient and reported', async () => {
  const reason = authenticatedCloseReason(secret, 'ERR_SESSION_REPLACED');
  assert.deepEqual(await judge({ code: 4506, reason }), { errorCode: 'ERR_SESSION_REPLACED', permanent: true, unauthenticated: null });
  for (const forged of ['ERR_SESSION_REPLACED', '', authenticatedCloseReason(new Uint8Array(32), 'ERR_SESSION_REPLACED')]) {
    assert.deepEqual(await judge({ code: 4506, reason: forged }), { errorCode: 'ERR_SESSION_REPLACED', permanent: false, unauthenticated: 'ERR_SESSION_REPLACED' }, forged);
  }
  assert.equal((await judge({ code: 4508, reason: reason.replace('ERR_SESSION_REPLACED', 'ERR_CLIENT_FORGOTTEN') })).permanent, false, 'a token moved to another code');
  assert.equal((await judge({ code: 4501, reason })).permanent, false, 'a token under another close code');
  assert.equal((await judge({ code: 4506, reason, sessionSecret: null })).permanent, false, 'no session on this socket');
});

test('a refusal in message 2 is authenticated; the handshake failures nobody can authenticate are transient', async () => {
  assert.deepEqual(await judge({ code: 4000, refused: 'ERR_ACK_KEY_MISMATCH', sessionSecret: null }), { errorCode: 'ERR_ACK_KEY_MISMATCH', permanent: true, unauthenticated: null });
  assert.deepEqual(await judge({ code: 4500, reason: 'ERR_HANDSHAKE', sessionSecret: null }), { errorCode: 'ERR_HANDSHAKE', permanent: false, unauthenticated: 'ERR_HANDSHAKE' });
  assert.deepEqual(await judge({ code: 4000, local: 'ERR_HANDSHAKE', sessionSecret: null }), { errorCode: 'ERR_HANDSHAKE', permanent: false, unauthenticated: 'ERR_HANDSHAKE' });
  assert.deepEqual(await judge({ code: 4505, reason: 'ERR_VERSION', sessionSecret: null }), { errorCode: 'ERR_VERSION', permanent: false, unauthenticated: 'ERR_VERSION' });
});

test('transient codes stay transient and are not reported', async () => {
  assert.deepEqual(await judge({ code: 4100, reason: 'ERR_FRAME' }), { errorCode: 'ERR_FRAME', permanent: false, unauthenticated: null });
  assert.deepEqual(await judge({ code: 1001, reason: 'ERR_UNAVAILABLE' }), { errorCode: undefined, permanent: false, unauthenticated: null });
  assert.deepEqual(await judge({ code: 4000, local: 'ERR_FRAME' }), { errorCode: 'ERR_FRAME', permanent: false, unauthenticated: null });
});

test('a token that differs from the session token in any one byte, the first or the last, is not authenticated', async () => {
  const reason = authenticatedCloseReason(secret, 'ERR_SESSION_REPLACED');
  const token = Buffer.from(reason.split(' ')[1]!, 'base64url');
  for (const at of [0, token.length - 1]) {
    const altered = Buffer.from(token);
    altered[at]! ^= 1;
    const forged = `ERR_SESSION_REPLACED ${altered.toString('base64url')}`;
    assert.equal((await judge({ code: 4506, reason: forged })).permanent, false, `byte ${at} altered`);
  }
});
