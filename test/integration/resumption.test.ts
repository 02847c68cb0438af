// Resumption tickets (docs/protocol.md section 2.6): a returning client runs Noise NNpsk0 with
// the ticket its last session gave it, instead of the full IK handshake. A ticket opens one
// session: it is claimed at CONFIRM, so a second use (a stolen saved session used twice) is
// refused then, and a replayed resume hello, like a replayed IK hello, changes nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type SealPushClient } from '../../src/client/node.js';
import type { SavedSession } from '../../src/client/session.js';
import { base64urlDecode, base64urlEncode } from '../../src/crypto/encoding.js';
import { RESUME_MARKER, startResumeHello } from '../../src/crypto/resume-hello.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { collect } from '../helpers/messages.js';
import { eventually } from '../helpers/server.js';
import { sdkSuite } from '../helpers/sdk-suite.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { rotateIdentity } from '../../src/compose/keys.js';
import pino from 'pino';
import { rawSession } from '../helpers/raw-session.js';

const HANDSHAKE_TIMEOUT_MS = 1_500;

describe('resumption tickets', () => {
  const suite = sdkSuite({ markFlushMs: 20, limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } });

  /** A proxy to the server that keeps the hello of the first connection through it (later ones are relayed untouched). */
  async function recordingProxy(): Promise<{ url: string; hellos: Buffer[]; readonly connections: number }> {
    const hellos: Buffer[] = [];
    const proxy = await suite.proxy({ toServer: (data, i) => (i === 0 && hellos.push(data), data) });
    return { url: proxy.url, hellos, get connections() { return proxy.connectionCount; } };
  }

  /** The saved session once its ticket arrived (the TICKET frame follows the session's opening). */
  function ticketed(client: SealPushClient): Promise<SavedSession> {
    const now = client.session();
    if (now.ticket) return Promise.resolve(now);
    return new Promise((resolve) => client.on('session', (s) => s.ticket && resolve(s)));
  }

  /** A session with a ticket, its client closed and offline. */
  async function offlineWithTicket(options: Partial<Parameters<typeof connect>[0]> = {}): Promise<SavedSession> {
    const client = await suite.sdk(suite.server.url, options);
    const session = await ticketed(client);
    await client.close();
    await eventually(async () => ((await suite.app.client(session.clientId)).online ? undefined : true), 'offline');
    return client.session();
  }

  test('a returning client resumes with its ticket: NNpsk0, the same client, its pending message, a new ticket', async () => {
    const session = await offlineWithTicket();
    const { id } = await suite.app.publish({ to: session.clientId, data: 'while away' });
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session });
    const arriving = collect(client, 1);
    assert.equal(proxy.hellos[0]![1], RESUME_MARKER, 'a resume hello');
    assert.equal(proxy.hellos.length, 1);
    assert.equal(client.clientId, session.clientId);
    assert.deepEqual((await arriving).map((m) => m.data), ['while away']);
    await eventually(async () => ((await suite.app.status(id)).status === 'acked' ? true : undefined), 'acked');
    const next = await ticketed(client);
    assert.notEqual(next.ticket!.value, session.ticket!.value, 'each session brings a new ticket');
  });

  test('resume: false keeps no ticket and runs the full handshake, even with a ticket in the session', async () => {
    const session = await offlineWithTicket();
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session, resume: false });
    const arriving = collect(client, 1);
    await suite.app.publish({ to: client.clientId, data: 'x' });
    await arriving;
    assert.notEqual(proxy.hellos[0]![1], RESUME_MARKER, 'an IK hello');
    assert.equal(client.session().ticket, undefined);
  });

  /** The resume hello a thief of the saved session would send: the ticket and its psk. */
  const resumeHello = (session: SavedSession) =>
    startResumeHello({ appId: session.appId, ticket: base64urlDecode(session.ticket!.value), psk: base64urlDecode(session.ticket!.psk), payload: { lastSeq: 0 }, crypto: nodeNoiseCrypto });

  test('a ticket opens one session: a second use is refused at its CONFIRM (ERR_TICKET) and replaces nothing', async () => {
    const session = await offlineWithTicket();
    const first = rawSession(suite.server.url, await resumeHello(session), true);
    await first.confirmed;
    await eventually(async () => ((await suite.app.client(session.clientId)).online ? true : undefined), 'the first use is online');

    const secondUse = rawSession(suite.server.url, await resumeHello(session), true);
    // Without the claim the second use would open a session and replace the first (4506).
    const ended = await Promise.race([secondUse.outcome.then((o) => ({ second: o })), first.outcome.then((o) => ({ first: o }))]);
    assert.ok('second' in ended, `the first session ended first (${'first' in ended ? ended.first.reason : ''}): it was replaced`);
    const { second } = ended;
    assert.ok(second.reply, 'message 2 came: the hello alone proves nothing');
    assert.deepEqual([second.code, second.reason], [4106, 'ERR_TICKET']);
    assert.deepEqual(second.frames, [], 'no session frame: not even a HEARTBEAT');

    first.close();
    const firstOutcome = await first.outcome;
    assert.notEqual(firstOutcome.code, 4506, 'the first session was never replaced');
    assert.deepEqual(firstOutcome.frames.slice(0, 2).map((f) => f.type), ['heartbeat', 'ticket']);
  });

  test('a replayed resume hello is answered once, times out, and changes nothing', async () => {
    const session = await offlineWithTicket();
    const { id } = await suite.app.publish({ to: session.clientId, data: 'pending' });
    const proxy = await recordingProxy();
    const real = await suite.sdk(proxy.url, { session });
    const disconnects: number[] = [];
    real.on('disconnected', ({ code }) => disconnects.push(code));
    await collect(real, 1);

    const replayed = await rawSession(suite.server.url, { hello: proxy.hellos[0]! }, false).outcome;
    assert.ok(replayed.reply, 'one reply (message 2)');
    assert.deepEqual([replayed.code, replayed.reason], [4101, 'ERR_HANDSHAKE_TIMEOUT']);
    assert.deepEqual(disconnects, [], 'the real client was not replaced');
    await eventually(async () => ((await suite.app.status(id)).status === 'acked' ? true : undefined), 'acked by the real client');
    assert.equal((await suite.app.client(real.clientId)).online, true);
  });

  test('a forgotten client: its ticket is refused inside the handshake, and the SDK runs IK at once (a new client)', async () => {
    const session = await offlineWithTicket();
    await suite.app.forgetClient(session.clientId);
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session });
    assert.notEqual(client.clientId, session.clientId, 'a new client for the same static key, as without a ticket');
    assert.equal(proxy.hellos[0]![1], RESUME_MARKER, 'the resume hello first');
    assert.equal(proxy.connections, 2, 'then IK on a second connection');
  });

  test('an altered ticket cannot be opened (ERR_TICKET): the SDK runs IK at once and resumes its client', async () => {
    const session = await offlineWithTicket();
    const bytes = base64urlDecode(session.ticket!.value);
    bytes[bytes.length - 1]! ^= 1;
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session: { ...session, ticket: { ...session.ticket!, value: base64urlEncode(bytes) } } });
    assert.equal(client.clientId, session.clientId);
    assert.equal(proxy.hellos[0]![1], RESUME_MARKER);
    assert.equal(proxy.connections, 2);
  });

  test('a ticket past its expiry on the client side is not presented', async () => {
    const session = await offlineWithTicket();
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session: { ...session, ticket: { ...session.ticket!, expiresAt: Date.now() - 1 } } });
    assert.equal(client.clientId, session.clientId);
    assert.notEqual(proxy.hellos[0]![1], RESUME_MARKER);
    assert.equal(proxy.connections, 1);
  });

  // Last: it rotates the server identity.
  test('a ticket from before an identity rotation is refused, so that IK tells the client the new key', async () => {
    const session = await offlineWithTicket();
    const core = await openCore(parseConfig({ dataDir: suite.server.dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    const rotated = await rotateIdentity(core, 3_600_000).finally(() => core.close());
    // The server reads its identity versions at most a second late: wait until it announces the new key.
    await eventually(async () => {
      const probe = await connect({ url: suite.server.url, appId: suite.server.app.appId, serverKey: suite.server.identity.publicKey, reconnect: false, resume: false });
      await probe.close();
      return probe.serverKey === rotated.identity.publicKey ? true : undefined;
    }, 'the rotation seen');
    const proxy = await recordingProxy();
    const client = await suite.sdk(proxy.url, { session });
    assert.equal(proxy.hellos[0]![1], RESUME_MARKER);
    assert.equal(proxy.connections, 2, 'the ticket refused, then IK');
    assert.equal(client.clientId, session.clientId);
    assert.equal(client.serverKey, rotated.identity.publicKey, 'IK under the old key announced the new one');
  });
});
