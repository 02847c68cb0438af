// The back-end SDK's retries on a real server: a 429 from a tiny publish rate limit, and an
// answer lost on the way back (a TCP proxy that closes the connection as the answer starts,
// after the server committed). Each retried request must be signed anew, and deliver once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { SealPushApp, SealPushError } from '../../src/app/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

interface Attempt {
  readonly authorization: string;
  readonly body: string | undefined;
  /** The answer's status; undefined when none came. */
  status?: number;
}

/** The real fetch, recording each attempt the SDK makes. */
function recordingFetch(): { attempts: Attempt[]; fetch: typeof fetch } {
  const attempts: Attempt[] = [];
  const record: typeof fetch = async (input, init) => {
    const body = init?.body instanceof Uint8Array ? new TextDecoder().decode(init.body) : undefined;
    const attempt: Attempt = { authorization: String(new Headers(init?.headers).get('authorization')), body };
    attempts.push(attempt);
    const response = await fetch(input, init);
    attempt.status = response.status;
    return response;
  };
  return { attempts, fetch: record };
}

const nonceOf = (attempt: Attempt) => /nonce=([^,]+)/.exec(attempt.authorization)?.[1];

async function newClientId(server: TestServer): Promise<string> {
  const client = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
  await client.close();
  return client.clientId;
}

describe('app SDK retries against a publish rate limit', () => {
  let server: TestServer;

  before(async () => {
    // One message a second, no burst: a second publish right after the first gets 429, Retry-After 1.
    server = await startTestServer({ limits: { publishesPerSecondPerApp: 1, publishBurstPerApp: 1 } });
  });
  after(() => server.close());

  test('a publish refused with 429 is sent again after Retry-After, re-signed, and stored once', async () => {
    const clientId = await newClientId(server);
    const recorded = recordingFetch();
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret, fetch: recorded.fetch, retry: { attempts: 5 } });
    await app.publish({ to: clientId, data: 'first' });
    const first = recorded.attempts.length;
    const second = await app.publish({ to: clientId, data: 'second' });
    const retried = recorded.attempts.slice(first);
    // Refused, then (having waited the Retry-After second, not a shorter backoff) accepted.
    assert.deepEqual(retried.map((a) => a.status), [429, 202]);
    assert.equal(new Set(retried.map(nonceOf)).size, retried.length, 'every attempt has its own nonce');
    assert.equal(new Set(retried.map((a) => a.body)).size, 1, 'every attempt sends the same message');
    assert.equal((JSON.parse(retried[0]!.body!) as { id?: string }).id, second.id, 'under the id the SDK generated');
    assert.equal((await app.client(clientId)).pending, 2, 'two publishes, two messages');
  });

  test('with retry: false the 429 is thrown at once, with its Retry-After', async () => {
    const clientId = await newClientId(server);
    const recorded = recordingFetch();
    const app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret, fetch: recorded.fetch, retry: false });
    const outcomes = await Promise.allSettled([app.publish({ to: clientId, data: 1 }), app.publish({ to: clientId, data: 2 })]);
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.ok(refused, 'one of two publishes in the same second is refused');
    assert.ok(refused.reason instanceof SealPushError && refused.reason.code === 'ERR_RATE_LIMITED' && refused.reason.retryAfterSeconds! >= 1);
    assert.equal(recorded.attempts.length, 2, 'nothing was sent again');
    assert.ok(recorded.attempts.every((a) => !a.body!.includes('"id"')), 'no id is generated without retries');
  });
});

describe('app SDK retries when the answer is lost', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let direct: SealPushApp;
  let clientId: string;

  before(async () => {
    server = await startTestServer();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: server.port });
    direct = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret, retry: false });
    clientId = await newClientId(server);
  });
  after(async () => {
    await proxy.close();
    await server.close();
  });

  const viaProxy = (recorded: { fetch: typeof fetch }, retry?: false) =>
    new SealPushApp({
      url: `http://127.0.0.1:${proxy.port}`,
      appId: server.app.appId,
      secret: server.app.secret,
      fetch: recorded.fetch,
      retry: retry ?? { attempts: 3, minDelayMs: 10, maxDelayMs: 100 },
    });

  test('a publish without an id whose answer was lost is sent again and delivers once', async () => {
    const recorded = recordingFetch();
    const app = viaProxy(recorded);
    const before = (await direct.client(clientId)).pending;
    proxy.loseAnswers(1);
    const accepted = await app.publish({ to: clientId, data: { order: 7 } });
    assert.deepEqual(recorded.attempts.map((a) => a.status), [undefined, 202]);
    assert.notEqual(nonceOf(recorded.attempts[0]!), nonceOf(recorded.attempts[1]!));
    assert.equal(recorded.attempts[0]!.body, recorded.attempts[1]!.body);
    assert.equal((await direct.client(clientId)).pending, before + 1, 'the first attempt was committed; the retry added nothing');
    assert.equal((await direct.status(accepted.id)).status, 'queued');
  });

  test('a batch and a read are retried the same way', async () => {
    const recorded = recordingFetch();
    const app = viaProxy(recorded);
    const before = (await direct.client(clientId)).pending;
    proxy.loseAnswers(1);
    const results = await app.publishBatch([{ to: clientId, data: 1 }, { to: clientId, data: 2, id: 'batch-own-id' }]);
    assert.equal(results.length, 2);
    assert.equal((await direct.client(clientId)).pending, before + 2);
    proxy.loseAnswers(1);
    assert.equal((await app.status('batch-own-id')).id, 'batch-own-id');
    assert.deepEqual(recorded.attempts.map((a) => a.status), [undefined, 202, undefined, 200]);
  });

  test('with retry: false a lost answer is ERR_UNAVAILABLE at once, though the message was committed', async () => {
    const recorded = recordingFetch();
    proxy.loseAnswers(1);
    await assert.rejects(viaProxy(recorded, false).publish({ to: clientId, data: 1, id: 'lost-answer' }), { code: 'ERR_UNAVAILABLE' });
    assert.equal(recorded.attempts.length, 1);
    assert.equal((await direct.status('lost-answer')).status, 'queued', 'why a publish to retry needs an id');
  });

  test('forgetClient is never retried (a second forget would answer ERR_NOT_FOUND)', async () => {
    const recorded = recordingFetch();
    const doomed = await newClientId(server);
    proxy.loseAnswers(1);
    await assert.rejects(viaProxy(recorded).forgetClient(doomed), { code: 'ERR_UNAVAILABLE' });
    assert.equal(recorded.attempts.length, 1);
  });
});
