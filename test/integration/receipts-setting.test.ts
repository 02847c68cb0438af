// Receipts as a per-app setting (docs/receipts.md): off by default, so an app that does not
// need proof of delivery does not pay a signature check per ACK. A real server, the real SDK,
// and every frame each SDK socket sends recorded, to see which ACKs went on the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { WebSocket } from 'ws';
import { connect, type SealPushClient } from '../../src/client/node.js';
import type { SocketConstructor } from '../../src/client/socket.js';
import { SealPushApp, verifyReceipt } from '../../src/app/index.js';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { DEFAULT_COHORT } from '../../src/domain/delivery-settings.js';
import { SEAL_OVERHEAD, SIGNED_ACK_BYTES } from '../../src/crypto/frames.js';
import { nodeAckKeyCrypto } from '../../src/crypto/node/ack-key.js';
import { collect } from '../helpers/messages.js';
import { exited, runCli, spawnServer } from '../helpers/process.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { helloTo } from '../helpers/hello.js';

/** A sealed plain ACK (type byte and u64 seq) and a sealed SIGNED_ACK, as they cross the wire. */
const PLAIN_ACK_FRAME = 1 + 8 + SEAL_OVERHEAD;
const SIGNED_ACK_FRAME = SIGNED_ACK_BYTES + SEAL_OVERHEAD;

interface RecordedSocket {
  /** What the SDK sent on this socket; [0] is the hello, [1] the CONFIRM. */
  readonly sent: Uint8Array[];
  /** The close code, once closed. */
  closeCode?: number;
}

/** A WebSocket class that records, per socket the SDK opens, what it sends and how it closed. */
function recordingSocket(sockets: RecordedSocket[]): SocketConstructor {
  return class extends WebSocket {
    readonly #record: RecordedSocket = { sent: [] };
    constructor(url: string) {
      super(url);
      sockets.push(this.#record);
      this.on('close', (code: number) => (this.#record.closeCode = code));
    }
    override send(data: Uint8Array): void {
      this.#record.sent.push(new Uint8Array(data));
      super.send(data);
    }
  } as unknown as SocketConstructor;
}

/** The sizes of the ACK frames a socket sent (everything after its hello and its CONFIRM). */
const ackSizes = (socket: RecordedSocket | undefined): Set<number> => new Set((socket?.sent ?? []).slice(2).map((frame) => frame.length));

describe('receipts per app: off by default, switched with apps update', () => {
  let server: TestServer;
  let app: SealPushApp;
  const open: SealPushClient[] = [];

  before(async () => {
    server = await startTestServer({ markFlushMs: 20 });
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await server.close();
  });

  const ackedAll = (ids: string[]) =>
    eventually(async () => ((await Promise.all(ids.map(async (id) => (await app.status(id)).status))).every((s) => s === 'acked') ? true : undefined), `${ids.length} acked`);

  async function publishAndAck(client: SealPushClient, count: number): Promise<string[]> {
    const arriving = collect(client, count);
    const ids: string[] = [];
    for (let n = 0; n < count; n++) ids.push((await app.publish({ to: client.clientId, data: { n } })).id);
    await arriving;
    await ackedAll(ids);
    return ids;
  }

  /** An SDK client that acks at once and reconnects fast, each of its sockets recorded in `sockets`. */
  async function sdkClient(sockets: RecordedSocket[]): Promise<SealPushClient> {
    const fast = { ackDelayMs: 0, reconnect: { minDelayMs: 20, maxDelayMs: 100 } };
    const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, ...fast, WebSocket: recordingSocket(sockets) });
    open.push(c);
    return c;
  }

  test('off: the handshake does not ask for signed ACKs even when the hello carries an ack key', async () => {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/v1/ws');
    await new Promise((resolve) => ws.once('open', resolve));
    const hello = await helloTo(server, { lastSeq: 0, ackKey: (await nodeAckKeyCrypto.generate()).publicKey });
    const reply = new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
    ws.send(hello.hello);
    const done = await hello.finish(new Uint8Array(await reply));
    assert.equal(done.payload.signedAcks, undefined);
    ws.close();
  });

  test('off: the SDK sends plain ACKs, the receipt route says receipts are off, and the ack key is still registered and checked', async () => {
    const sockets: RecordedSocket[] = [];
    const client = await sdkClient(sockets);
    const ids = await publishAndAck(client, 2);
    assert.deepEqual(ackSizes(sockets[0]), new Set([PLAIN_ACK_FRAME]), 'every ACK frame is a plain ACK');
    for (const id of ids) await assert.rejects(app.receipt(id), { code: 'ERR_NO_RECEIPT', message: /receipts are off for this app/ });

    // The key went into the store with the first hello: another one is refused, as with receipts on.
    const session = client.session();
    await client.close();
    const other = await nodeAckKeyCrypto.generate();
    await assert.rejects(
      connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey, session: { ...session, ackKey: Buffer.from(other.seed).toString('base64url') }, reconnect: false }),
      { code: 'ERR_ACK_KEY_MISMATCH' },
    );
  });

  test('switched on, open connections close with 1001 and the next one signs: its receipts verify; switched off again, they stop', async () => {
    const sockets: RecordedSocket[] = [];
    const client = await sdkClient(sockets);
    let reconnects = 0;
    client.on('connected', () => reconnects++);
    const [plain] = await publishAndAck(client, 1);
    assert.deepEqual(ackSizes(sockets[0]), new Set([PLAIN_ACK_FRAME]));

    assert.deepEqual(await server.updateApp(server.app.appId, { receipts: true }), { delivery: { mode: 'direct' }, receipts: true });
    await eventually(async () => (reconnects >= 1 ? true : undefined), 'a reconnect in the new mode');
    assert.equal(sockets[0]!.closeCode, 1001, 'the server moved the connection');
    const signed = await publishAndAck(client, 3);
    assert.deepEqual(ackSizes(sockets[1]), new Set([SIGNED_ACK_FRAME]), 'every ACK frame of the new connection is signed');
    for (const id of signed) assert.deepEqual(await verifyReceipt(await app.receipt(id), client.ackKey), { valid: true }, id);
    await assert.rejects(app.receipt(plain!), { code: 'ERR_NO_RECEIPT', message: /acked without a signature/ }, 'acked while off: no receipt');

    await server.updateApp(server.app.appId, { receipts: false });
    await eventually(async () => (reconnects >= 2 ? true : undefined), 'a reconnect with receipts off');
    assert.equal(sockets[1]!.closeCode, 1001);
    const [later] = await publishAndAck(client, 1);
    assert.deepEqual(ackSizes(sockets[2]), new Set([PLAIN_ACK_FRAME]));
    await assert.rejects(app.receipt(later!), { code: 'ERR_NO_RECEIPT', message: /receipts are off for this app/ });
    // A receipt kept while receipts were on stays the proof of its message.
    assert.deepEqual(await verifyReceipt(await app.receipt(signed[0]!), client.ackKey), { valid: true });
  });
});

describe('receipts per app: the CLI flag and the config file', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  async function newApp(): Promise<{ dataDir: string; appId: string; settings(): Promise<{ delivery: { mode: string }; receipts: boolean }> }> {
    const dataDir = tempDir();
    dirs.push(dataDir);
    assert.equal((await runCli(['init', '--data', dataDir])).code, 0);
    const created = await runCli(['apps', 'create', 'jobs', '--json', '--data', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const { appId } = JSON.parse(created.stdout) as { appId: string };
    const settings = async () => {
      const list = JSON.parse((await runCli(['apps', 'list', '--json', '--data', dataDir])).stdout) as { appId: string; delivery: { mode: string }; receipts: boolean }[];
      const { delivery, receipts } = list.find((a) => a.appId === appId)!;
      return { delivery, receipts };
    };
    return { dataDir, appId, settings };
  }

  test('apps update --receipts on|off, alone or with --delivery; bad values are refused and change nothing; each change is an admin audit record', async () => {
    const { dataDir, appId, settings } = await newApp();
    assert.deepEqual(await settings(), { delivery: { mode: 'direct' }, receipts: false }, 'off by default');

    const on = await runCli(['apps', 'update', appId, '--receipts', 'on', '--json', '--data', dataDir]);
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(JSON.parse(on.stdout), { appId, delivery: { mode: 'direct' }, receipts: true });
    assert.deepEqual(await settings(), { delivery: { mode: 'direct' }, receipts: true });

    for (const [args, message] of [
      [['--receipts', 'yes'], /ERR_BAD_REQUEST: --receipts must be on or off/],
      [['--receipts', 'off', '--delivery', 'broadcast'], /ERR_BAD_REQUEST: delivery must be "direct" or "cohort"/],
      [['--receipts', 'off', '--tick-ms', '500'], /ERR_BAD_REQUEST: tickMs: options of cohort delivery/],
      [[], /ERR_BAD_REQUEST: give the delivery, the receipts setting, or both/],
    ] as const) {
      const run = await runCli(['apps', 'update', appId, ...args, '--data', dataDir]);
      assert.equal(run.code, 1, args.join(' '));
      assert.match(run.stderr, message);
      assert.deepEqual(await settings(), { delivery: { mode: 'direct' }, receipts: true }, `${args.join(' ')} changed nothing`);
    }
    assert.match((await runCli(['apps', 'update', 'app_nope', '--receipts', 'on', '--data', dataDir])).stderr, /ERR_NOT_FOUND/);

    const both = await runCli(['apps', 'update', appId, '--delivery', 'cohort', '--receipts', 'off', '--data', dataDir]);
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /now delivers in cohorts[\s\S]*now has receipts off/);
    assert.deepEqual(await settings(), { delivery: { ...DEFAULT_COHORT, mode: 'cohort' }, receipts: false });

    const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
    try {
      const updates = (await core.store.auditRecords(0, 1000))
        .filter((r) => r.kind === 'admin')
        .map((r) => JSON.parse(r.fields) as Record<string, unknown>)
        .filter((f) => f.action === 'apps.update');
      assert.deepEqual(updates.map(({ receipts, delivery }) => [receipts, delivery === undefined ? undefined : (JSON.parse(delivery as string) as { mode: string }).mode]), [
        [true, undefined],
        [false, 'cohort'],
      ]);
    } finally {
      await core.close();
    }
  });

  test("the config file's apps.<id>.receipts is applied at serve; a value other than true or false stops the start and changes nothing", async () => {
    const { dataDir, appId, settings } = await newApp();
    const configFile = join(dataDir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ apps: { [appId]: { receipts: true } } }));
    const server = await spawnServer(dataDir, { SEALPUSH_CONFIG: configFile });
    try {
      assert.deepEqual(await settings(), { delivery: { mode: 'direct' }, receipts: true });
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    writeFileSync(configFile, JSON.stringify({ apps: { [appId]: { receipts: 'off' } } }));
    const bad = await runCli(['serve', '--port', '0', '--data', dataDir], { SEALPUSH_CONFIG: configFile });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`apps\\.${appId}\\.receipts: Expected boolean`));
    assert.deepEqual(await settings(), { delivery: { mode: 'direct' }, receipts: true }, 'the refused value changed nothing');
  });
});
