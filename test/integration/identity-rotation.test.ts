import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { WebSocket } from 'ws';
import { connect, type SealPushClient } from '../../src/client/index.js';
import type { SocketConstructor } from '../../src/client/socket.js';
import { SealPushApp } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore, type Core } from '../../src/compose/core.js';
import { listServerIdentities, rotateIdentity } from '../../src/compose/keys.js';
import { collect, once } from '../helpers/messages.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** Long enough for a client moved off the old key to reconnect with it once before it ends. */
const OVERLAP_MS = 10_000;

/** Runs `fn` on the data dir's store and KMS, as an admin command does. */
async function withCore<T>(dataDir: string, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** A WebSocket class that counts the sockets (handshake attempts) the SDK opens. */
function countingSocket(count: { sockets: number }): SocketConstructor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      count.sockets++;
    }
  } as unknown as SocketConstructor;
}

const rotate = (dataDir: string, overlapMs: number) => withCore(dataDir, (core) => rotateIdentity(core, overlapMs));
const identities = (dataDir: string) => withCore(dataDir, (core) => listServerIdentities(core));

describe('server identity rotation: pinned clients move to the new key during the overlap', () => {
  let server: TestServer;
  let app: SealPushApp;
  const clients: SealPushClient[] = [];
  const open = async (options: Partial<Parameters<typeof connect>[0]> & { serverKey: string }) => {
    const client = await connect({ url: server.url, appId: server.app.appId, ...options });
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer();
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    for (const client of clients) await client.close();
    await server.close();
  });

  test("a key written into a saved session never goes before the pinned key", async () => {
    const first = await open({ serverKey: server.identity.publicKey });
    const tampered = { ...first.session(), serverKey: Buffer.alloc(32, 7).toString('base64url') };
    await first.close();
    const count = { sockets: 0 };
    const resumed = await open({ serverKey: server.identity.publicKey, session: tampered, reconnect: false, WebSocket: countingSocket(count) });
    assert.equal(count.sockets, 1, 'the pinned key went first and the handshake made to it succeeded');
    assert.equal(resumed.clientId, tampered.clientId);
    assert.equal(resumed.serverKey, server.identity.publicKey, 'the next connection uses the pinned key too');
  });

  test('told the new key under the old one, reconnected with it, nothing lost; the old key is refused after the overlap', async () => {
    const oldKey = server.identity.publicKey;
    const a = await open({ serverKey: oldKey });
    const connects: number[] = [];
    a.on('connected', () => connects.push(Date.now()));
    const received = collect(a, 3, 60_000);
    await app.publish({ to: a.clientId, data: 'before' });

    const rotated = await rotate(server.dataDir, OVERLAP_MS);
    const newKey = rotated.identity.publicKey;
    assert.notEqual(newKey, oldKey);
    const listed = await identities(server.dataDir);
    assert.deepEqual(listed.map((i) => [i.version, i.publicKey, i.notAfter]), [[2, newKey, undefined], [1, oldKey, rotated.previous.notAfter]], 'keys show lists both');

    // A connected while the old key was current: the server moves it, and the handshake
    // made with the old key tells it the new one.
    const announcement = await once<{ serverKey: string; until: string; previousKey: string }>((l) => a.on('serverkey', l));
    assert.deepEqual(announcement, { serverKey: newKey, until: new Date(rotated.previous.notAfter).toISOString(), previousKey: oldKey });
    assert.equal(a.session().serverKey, newKey, 'the saved session keeps the announced key');
    await app.publish({ to: a.clientId, data: 'during' });

    // A new install still pinned to the old key connects during the overlap and learns the new key.
    const b = await open({ serverKey: oldKey, reconnect: false });
    assert.equal(b.session().serverKey, newKey);
    assert.equal((await once<{ serverKey: string }>((l) => b.on('serverkey', l))).serverKey, newKey, 'announced before a listener existed, told to the first one');
    const bSession = b.session();
    await b.close();

    // When the overlap ends the old-key connection is closed; the client comes back with the new key.
    await eventually(async () => (connects.some((at) => at >= rotated.previous.notAfter) ? true : undefined), 'a reconnect after the overlap', 60_000);
    await app.publish({ to: a.clientId, data: 'after' });
    assert.deepEqual((await received).map((m) => m.data), ['before', 'during', 'after']);

    await assert.rejects(
      connect({ url: server.url, appId: server.app.appId, serverKey: oldKey, reconnect: false }),
      (err: Error & { code?: string }) => err.code === 'ERR_HANDSHAKE',
      'a client pinned only to the old key is refused once the overlap is over',
    );
    const both = await open({ serverKey: oldKey, serverKeys: [newKey], reconnect: false });
    assert.ok(both.clientId, 'with both pinned, the second is tried after the first is refused');
    const count = { sockets: 0 };
    const resumed = await open({ serverKey: oldKey, session: bSession, reconnect: false, WebSocket: countingSocket(count) });
    assert.equal(resumed.clientId, bSession.clientId);
    assert.equal(count.sockets, 2, "the pinned old key first (refused), then the session's announced key");
    assert.equal(resumed.serverKey, newKey);
    assert.deepEqual((await identities(server.dataDir)).map((i) => i.version), [2], 'keys show: the old key is gone');
  });
});
