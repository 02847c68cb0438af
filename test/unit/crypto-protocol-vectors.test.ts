// sealpush v3 known-answer vectors (src/crypto/vectors/sealpush-v3.json): the server's code
// (node:crypto and sodium-native, also the Node SDK's) and the browser SDK's code (WebCrypto
// and @noble/ciphers, promise-returning frame ciphers) must each reproduce every byte, in both
// roles and both directions.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { hexDecode, hexEncode, utf8Decode } from '../../src/crypto/encoding.js';
import { decodeClientFrame, decodeServerFrame } from '../../src/crypto/frames.js';
import { fingerprint as webFingerprint } from '../../src/crypto/fingerprint.js';
import { HandshakeRefusal, acceptHello, startHello } from '../../src/crypto/hello.js';
import { authenticatedCloseCode, closeTokenInput } from '../../src/crypto/close-reason.js';
import { authenticatedCloseReason } from '../../src/crypto/node/close-reason.js';
import { encodeServerRefusal } from '../../src/crypto/hello-payloads.js';
import { acceptResumeHello, readResumeHello, resumePsk, startResumeHello } from '../../src/crypto/resume-hello.js';
import { openTicket, sealTicket } from '../../src/crypto/node/ticket.js';
import type { NoiseCrypto } from '../../src/crypto/noise/primitives.js';
import { FrameOpener, FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { fingerprint as nodeFingerprint } from '../../src/crypto/node/keys.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import type { FrameVector, ProtocolVectors } from '../../src/crypto/vectors/schema.js';
import { WebFrameOpener, WebFrameSealer } from '../../src/crypto/web/frame-cipher.js';
import { webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

const v = JSON.parse(
  readFileSync(new URL('../../src/crypto/vectors/sealpush-v3.json', import.meta.url), 'utf8'),
) as ProtocolVectors;

/** Seals and opens frames as one side's cipher pair would, synchronously or not. */
interface FrameCiphers {
  seal(key: Uint8Array, startCounter: number): (plaintext: Uint8Array) => Promise<Uint8Array>;
  open(key: Uint8Array, startCounter: number): (sealed: Uint8Array) => Promise<Uint8Array>;
}

const IMPLEMENTATIONS: [string, NoiseCrypto, FrameCiphers][] = [
  [
    'server code (node:crypto + sodium-native)',
    nodeNoiseCrypto,
    {
      seal: (key, n) => {
        const sealer = new FrameSealer(key, n);
        return async (p) => sealer.seal(p);
      },
      open: (key, n) => {
        const opener = new FrameOpener(key, n);
        return async (s) => opener.open(s);
      },
    },
  ],
  [
    'browser SDK code (WebCrypto + @noble/ciphers)',
    webNoiseCrypto,
    {
      seal: (key, n) => {
        const sealer = new WebFrameSealer(key, n);
        return (p) => sealer.seal(p);
      },
      open: (key, n) => {
        const opener = new WebFrameOpener(key, n);
        return (s) => opener.open(s);
      },
    },
  ],
];

function keyFor(direction: FrameVector['direction']): Uint8Array {
  return hexDecode(direction === 'server-to-client' ? v.serverToClientKey : v.clientToServerKey);
}

function checkDecoded(frame: FrameVector, plaintext: Uint8Array): void {
  if (frame.direction === 'client-to-server') {
    assert.deepEqual(decodeClientFrame(plaintext), frame.decoded);
    return;
  }
  const decoded = decodeServerFrame(plaintext);
  if (decoded.type === 'deliver') {
    const messages = decoded.messages.map((m) => ({ ...m, data: utf8Decode(m.data) }));
    assert.deepEqual({ type: 'deliver', messages }, frame.decoded);
  } else {
    assert.deepEqual(decoded, frame.decoded);
  }
}

/** Seals every frame of each direction in order and opens the vector's bytes. */
async function runFrames(ciphers: FrameCiphers, frames: readonly FrameVector[], keys: (d: FrameVector['direction']) => Uint8Array, start = 0): Promise<void> {
  const sealers = new Map<string, (p: Uint8Array) => Promise<Uint8Array>>();
  const openers = new Map<string, (s: Uint8Array) => Promise<Uint8Array>>();
  for (const frame of frames) {
    if (!sealers.has(frame.direction)) {
      sealers.set(frame.direction, ciphers.seal(keys(frame.direction), start));
      openers.set(frame.direction, ciphers.open(keys(frame.direction), start));
    }
    const sealed = await sealers.get(frame.direction)!(hexDecode(frame.plaintext));
    assert.equal(hexEncode(sealed), frame.sealed, `${frame.direction} frame ${frame.counter} sealed`);
    const opened = await openers.get(frame.direction)!(hexDecode(frame.sealed));
    assert.equal(hexEncode(opened), frame.plaintext, `${frame.direction} frame ${frame.counter} opened`);
    checkDecoded(frame, opened);
  }
}

for (const [name, crypto, ciphers] of IMPLEMENTATIONS) {
  describe(`sealpush v3 vectors: ${name}`, () => {
    it('server side: reads the hello and writes the reply', async () => {
      const staticKey = await crypto.keyPairFromPrivate(hexDecode(v.serverStaticPrivate));
      const ephemeral = await crypto.keyPairFromPrivate(hexDecode(v.serverEphemeralPrivate));
      assert.equal(hexEncode(staticKey.publicKey), v.serverStaticPublic);
      const hello = await acceptHello(hexDecode(v.hello), { staticKey, crypto, ephemeral });
      assert.equal(hello.version, v.protocolVersion);
      assert.equal(hello.appId, v.appId);
      assert.equal(hexEncode(hello.clientStaticKey), v.clientStaticPublic);
      assert.deepEqual(hello.payload, v.clientPayload);
      const done = await hello.accept(v.serverPayload);
      assert.equal(hexEncode(done.reply), v.reply);
      assert.equal(hexEncode(done.handshakeHash), v.handshakeHash);
      assert.equal(hexEncode(done.sessionSecret), v.sessionSecret);
      assert.equal(hexEncode(done.sendKey), v.serverToClientKey);
      assert.equal(hexEncode(done.receiveKey), v.clientToServerKey);
    });

    /** The client's hello of the vectors, from their fixed keys. */
    const vectorHello = async () =>
      startHello({
        appId: v.appId,
        serverKey: hexDecode(v.serverStaticPublic),
        staticKey: await crypto.keyPairFromPrivate(hexDecode(v.clientStaticPrivate)),
        payload: v.clientPayload,
        crypto,
        ephemeral: await crypto.keyPairFromPrivate(hexDecode(v.clientEphemeralPrivate)),
      });

    it('client side: writes the hello and reads the reply', async () => {
      const started = await vectorHello();
      assert.equal(hexEncode(started.hello), v.hello);
      assert.equal(hexEncode(started.hello.subarray(0, v.prologue.length / 2 - 8)), v.prologue.slice(16));
      const done = await started.finish(hexDecode(v.reply));
      assert.deepEqual(done.payload, v.serverPayload);
      assert.equal(hexEncode(done.handshakeHash), v.handshakeHash);
      assert.equal(hexEncode(done.sessionSecret), v.sessionSecret);
      assert.equal(hexEncode(done.sendKey), v.clientToServerKey);
      assert.equal(hexEncode(done.receiveKey), v.serverToClientKey);
    });

    it('a refusal in message 2: written by the server, thrown by the client with its code', async () => {
      const staticKey = await crypto.keyPairFromPrivate(hexDecode(v.serverStaticPrivate));
      const ephemeral = await crypto.keyPairFromPrivate(hexDecode(v.serverEphemeralPrivate));
      const hello = await acceptHello(hexDecode(v.hello), { staticKey, crypto, ephemeral });
      assert.equal(hexEncode(await hello.refuse('ERR_NOT_FOUND')), v.refusal.reply);
      assert.equal(hexEncode(encodeServerRefusal('ERR_NOT_FOUND')), v.refusal.payloadBytes);
      const started = await vectorHello();
      await assert.rejects(started.finish(hexDecode(v.refusal.reply)), (err) => err instanceof HandshakeRefusal && err.code === v.refusal.code);
    });

    it('an authenticated close reason verifies under the session secret, and only its own code', async () => {
      const { code, closeCode, reason } = v.closeReason;
      const secret = hexDecode(v.sessionSecret);
      assert.equal(await authenticatedCloseCode(crypto, secret, closeCode, reason), code);
      assert.equal(await authenticatedCloseCode(crypto, secret, closeCode, code), null, 'no token');
      assert.equal(await authenticatedCloseCode(crypto, secret, 4508, reason.replace(code, 'ERR_CLIENT_FORGOTTEN')), null, 'moved to another code');
      assert.equal(await authenticatedCloseCode(crypto, new Uint8Array(32), closeCode, reason), null, 'another session');
    });

    const r = v.resumption;
    it('resumption: the psk from the session secret, then NNpsk0 in both roles, and its refusal', async () => {
      assert.equal(hexEncode(await resumePsk(crypto, hexDecode(v.sessionSecret))), r.psk);
      const start = async () =>
        startResumeHello({ appId: v.appId, ticket: hexDecode(r.ticket), psk: hexDecode(r.psk), payload: r.clientPayload, crypto, ephemeral: await crypto.keyPairFromPrivate(hexDecode(r.clientEphemeralPrivate)) });
      const started = await start();
      assert.equal(hexEncode(started.hello), r.hello);
      const read = readResumeHello(hexDecode(r.hello));
      assert.equal(hexEncode(read.ticket), r.ticket);
      assert.equal(hexEncode(read.header), r.prologue.slice(16), 'the prologue is "sealpush" and the header');
      const accept = async () => acceptResumeHello(read, { psk: hexDecode(r.psk), crypto, ephemeral: await crypto.keyPairFromPrivate(hexDecode(r.serverEphemeralPrivate)) });
      const accepted = await accept();
      assert.deepEqual(accepted.payload, r.clientPayload);
      const server = await accepted.accept(r.serverPayload);
      assert.equal(hexEncode(server.reply), r.reply);
      const client = await started.finish(hexDecode(r.reply));
      assert.deepEqual(client.payload, r.serverPayload);
      for (const side of [server, client]) {
        assert.equal(hexEncode(side.handshakeHash), r.handshakeHash);
        assert.equal(hexEncode(side.sessionSecret), r.sessionSecret);
      }
      assert.deepEqual([hexEncode(client.sendKey), hexEncode(client.receiveKey)], [r.clientToServerKey, r.serverToClientKey]);
      assert.equal(hexEncode(await (await accept()).refuse('ERR_TICKET')), r.refusal.reply);
      await assert.rejects((await start()).finish(hexDecode(r.refusal.reply)), (err) => err instanceof HandshakeRefusal && err.code === 'ERR_TICKET');
      const other = await acceptResumeHello(read, { psk: new Uint8Array(32), crypto }).then(() => 'opened', (err: { code?: string }) => err.code);
      assert.equal(other, 'ERR_HANDSHAKE', 'another psk does not open the hello');
      const { type, expiresAt, ticket } = decodeServerFrame(hexDecode(r.ticketFramePlaintext)) as { type: string; expiresAt: number; ticket: Uint8Array };
      assert.deepEqual([type, expiresAt, hexEncode(ticket)], ['ticket', r.ticketContents.expiresAt, r.ticket]);
    });

    it('transport frames in both directions', async () => {
      await runFrames(ciphers, v.frames, keyFor);
    });

    for (const rekey of v.rekey) {
      it(`${rekey.direction} frames across the rekey at counter 65,535`, async () => {
        await runFrames(ciphers, rekey.frames, () => hexDecode(rekey.key), rekey.startCounter);
        const afterRekey = rekey.frames.find((f) => f.counter === 65_536)!;
        const fresh = ciphers.seal(hexDecode(rekey.rekeyedKey), 65_536);
        assert.equal(hexEncode(await fresh(hexDecode(afterRekey.plaintext))), afterRekey.sealed);
      });
    }
  });
}

describe('sealpush v3 vectors: shared facts', () => {
  it('the first frames are the key confirmation and the HEARTBEAT that opens the session', () => {
    assert.deepEqual(v.protocolVersion, 3);
    assert.deepEqual(v.frames.slice(0, 2).map((f) => [f.direction, f.counter, f.decoded.type]), [
      ['client-to-server', 0, 'confirm'],
      ['server-to-client', 0, 'heartbeat'],
    ]);
  });

  it('the close reason is what the server (node:crypto) writes', () => {
    assert.equal(hexEncode(closeTokenInput('ERR_SESSION_REPLACED')), v.closeReason.tokenInput);
    assert.equal(authenticatedCloseReason(hexDecode(v.sessionSecret), 'ERR_SESSION_REPLACED'), v.closeReason.reason);
  });

  it('the ticket is what the server (sodium-native XChaCha20-Poly1305) seals, and opens to its contents', () => {
    const r = v.resumption;
    const id = hexDecode(r.ticketContents.id);
    const sealed = sealTicket(hexDecode(r.ticketKey), r.epoch, { ...r.ticketContents, id, psk: hexDecode(r.psk) }, hexDecode(r.ticketNonce));
    assert.equal(hexEncode(sealed), r.ticket);
    const opened = openTicket(hexDecode(r.ticketKey), hexDecode(r.ticket));
    assert.deepEqual({ ...opened, id: hexEncode(opened.id), psk: hexEncode(opened.psk) }, { ...r.ticketContents, psk: r.psk });
  });

  it('fingerprint is the same on node:crypto and WebCrypto', async () => {
    const key = hexDecode(v.serverStaticPublic);
    assert.equal(nodeFingerprint(key), v.serverFingerprint);
    assert.equal(await webFingerprint(key), v.serverFingerprint);
  });

  it('a session started at counter 0 rekeys exactly as the vectors say', () => {
    // Honest run through the first boundary: 65,536 frames, then the vector's rekeyed key.
    const rekey = v.rekey.find((r) => r.direction === 'server-to-client')!;
    const key = hexDecode(rekey.key);
    const sealer = new FrameSealer(key);
    const opener = new FrameOpener(key);
    const heartbeat = Uint8Array.of(0x03);
    for (let n = 0; n < 65_536; n++) opener.open(sealer.seal(heartbeat));
    const next = rekey.frames.find((f) => f.counter === 65_536)!;
    assert.equal(sealer.counter, 65_536);
    assert.equal(hexEncode(sealer.seal(hexDecode(next.plaintext))), next.sealed);
    assert.equal(hexEncode(opener.open(hexDecode(next.sealed))), next.plaintext);
  });
});
