// The in-memory replay cache on a real server (issue 13, item 5d): one app that floods signed
// requests fills only its own share (maxNoncesPerApp) and is then refused with 429
// ERR_RATE_LIMITED, never let through (a replay of its earlier request is still
// ERR_AUTH_REPLAY); another app's requests keep passing although the whole pool (maxNonces)
// is smaller than the flood.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SealPushApp } from '../../src/app/index.js';
import { RequestSigner } from '../../src/app/signing.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('per-app share of the replay cache', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ limits: { maxNonces: 8, maxNoncesPerApp: 5 } });
  });
  after(() => server.close());

  test('an app that floods nonces is refused past its share; another app is not', async () => {
    const other = await server.createApp('other-app');
    const victim = new SealPushApp({ url: server.url, appId: other.appId, secret: other.secret });

    // Each signed request claims one nonce (an unknown id still answers 404, after the claim).
    const flood = [];
    for (let i = 0; i < 12; i++) flood.push(await signedGet(server, `/v1/messages/m-${i}`));
    // The other app still has the rest of the pool (3 of 8): its requests pass (404: unknown id).
    for (let i = 0; i < 3; i++) await assert.rejects(victim.status(`v-${i}`), { code: 'ERR_NOT_FOUND' });
    assert.deepEqual(
      flood.map((r) => r.code),
      [...Array<string>(5).fill('ERR_NOT_FOUND'), ...Array<string>(7).fill('ERR_RATE_LIMITED')],
    );
    assert.equal(flood[11]!.status, 429);
    assert.ok(Number(flood[11]!.retryAfter) >= 1, 'Retry-After says when');

    // Its own earlier request, replayed while its share is full, is still refused as a replay.
    const replay = await fetch(server.url + '/v1/messages/m-0', { headers: { authorization: flood[0]!.authorization } });
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'ERR_AUTH_REPLAY');
  });
});

/** A signed GET by the server's first app: its status, error code, Retry-After and the Authorization it carried. */
async function signedGet(server: TestServer, path: string): Promise<{ status: number; code: string; retryAfter: string | null; authorization: string }> {
  const signer = new RequestSigner(server.app.appId, server.app.secret);
  const authorization = await signer.authorization({ method: 'GET', pathWithQuery: path, body: new Uint8Array(0) });
  const response = await fetch(server.url + path, { headers: { authorization } });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code ?? 'ok', retryAfter: response.headers.get('retry-after'), authorization };
}
