/** The errors a client reports about its connection: catalogue code and message, URL, pinned key's fingerprint, hint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, SealPushError } from '../../src/domain/errors.js';
import { base64urlEncode } from '../../src/crypto/encoding.js';
import { fingerprint } from '../../src/crypto/fingerprint.js';
import { connectionError, SealPushConnectionError } from '../../src/client/connection-error.js';
import { clientHint, CLIENT_HINTS } from '../../src/client/hints.js';

const url = 'ws://127.0.0.1:7777/v1/ws';
const serverKey = new Uint8Array(32).fill(7);

test('a refused handshake names the URL, the pinned fingerprint and `sealpush keys show`, and keeps its catalogue code', async () => {
  const err = await connectionError({ code: 'ERR_HANDSHAKE', url, serverKey, closeCode: 4500, closeReason: 'ERR_HANDSHAKE' });
  const pinned = await fingerprint(serverKey);
  assert.ok(err instanceof SealPushError && err instanceof SealPushConnectionError);
  assert.equal(err.name, 'SealPushError');
  assert.equal(err.code, 'ERR_HANDSHAKE');
  assert.deepEqual([err.url, err.fingerprint, err.closeCode, err.closeReason], [url, pinned, 4500, 'ERR_HANDSHAKE']);
  assert.ok(err.message.startsWith(ERROR_CATALOGUE.ERR_HANDSHAKE.message), err.message);
  for (const part of [url, pinned, '`sealpush keys show`', '(4500 ERR_HANDSHAKE)']) assert.ok(err.message.includes(part), `${part} in: ${err.message}`);
  assert.ok(err.message.endsWith(err.hint), 'the hint closes the message');
  assert.ok(!err.message.includes(base64urlEncode(serverKey)), 'the fingerprint, never the key itself');
});

test('a socket closed with 1006 (nothing answered) is ERR_UNAVAILABLE asking whether `sealpush serve` runs at the URL', async () => {
  const err = await connectionError({ code: 'ERR_UNAVAILABLE', url, serverKey, closeCode: 1006, closeReason: '' });
  assert.equal(err.code, 'ERR_UNAVAILABLE');
  assert.equal(err.closeCode, 1006, 'the close code seen, not the catalogue default (1001)');
  assert.equal(err.hint, `Nothing answered at ${url}: is \`sealpush serve\` running there?`);
  assert.match(err.message, /connection to ws:\/\/127\.0\.0\.1:7777\/v1\/ws closed \(1006\); pinned server key [A-Za-z0-9_-]{16}\. Nothing answered/);
});

test('a note goes before the hint; a code without a hint of its own points at docs/errors.md', async () => {
  const err = await connectionError({ code: 'ERR_SESSION_REPLACED', url, serverKey, closeCode: 4506, closeReason: 'ERR_SESSION_REPLACED', note: 'treated as transient' });
  assert.match(err.message, /; treated as transient\. Another tab/);
  assert.equal(CLIENT_HINTS.ERR_TOO_LARGE, undefined);
  assert.equal(clientHint('ERR_TOO_LARGE', 1009, url), 'See ERR_TOO_LARGE in docs/errors.md.');
});

test('every hint names the URL or needs none, and none is left with a placeholder', () => {
  for (const [code, template] of Object.entries(CLIENT_HINTS)) {
    const hint = clientHint(code as keyof typeof CLIENT_HINTS, 4000, url);
    assert.ok(!hint.includes('{'), `${code}: ${hint}`);
    assert.equal(hint.includes(url), template.includes('{url}'));
  }
});

test("an authenticated close reason shows its code, not the session's token; closeReason keeps it whole", async () => {
  const token = base64urlEncode(new Uint8Array(16).fill(9));
  const reason = `ERR_SESSION_REPLACED ${token}`;
  const err = await connectionError({ code: 'ERR_SESSION_REPLACED', url, serverKey, closeCode: 4506, closeReason: reason });
  assert.ok(err.message.includes('(4506 ERR_SESSION_REPLACED)'), err.message);
  assert.ok(!err.message.includes(token), err.message);
  assert.equal(err.closeReason, reason);
});
