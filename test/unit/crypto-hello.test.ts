// The sealpush v3 handshake: a full run on both implementations, and every failure with its code.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isSealPushError } from '../../src/domain/errors.js';
import { utf8Encode } from '../../src/crypto/encoding.js';
import { HandshakeRefusal, PROTOCOL_VERSION, acceptHello, startHello } from '../../src/crypto/hello.js';
import {
  decodeClientHelloPayload,
  decodeServerHelloPayload,
  decodeServerReply,
  encodeClientHelloPayload,
  encodeServerHelloPayload,
} from '../../src/crypto/hello-payloads.js';
import type { NoiseCrypto } from '../../src/crypto/noise/primitives.js';
import { nodeAesGcmNoiseCrypto, nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

const code = (expected: string) => (err: unknown) => isSealPushError(err) && err.code === expected;
const serverPayload = { clientId: 'c_1', resumed: false, heartbeatMs: 25_000, maxFrameBytes: 1_048_576 };

async function setup(crypto: NoiseCrypto, serverKeyOverride?: Uint8Array) {
  const server = await crypto.generateKeyPair();
  const client = await crypto.generateKeyPair();
  const started = await startHello({
    appId: 'my-app',
    serverKey: serverKeyOverride ?? server.publicKey,
    staticKey: client,
    payload: { lastSeq: 0 },
    crypto,
  });
  return { server, client, started };
}

for (const [name, crypto] of [['node:crypto', nodeNoiseCrypto], ['WebCrypto', webNoiseCrypto]] as const) {
  describe(`hello on ${name}`, () => {
    it('completes and agrees on keys and hash', async () => {
      const { server, client, started } = await setup(crypto);
      const hello = await acceptHello(started.hello, { staticKey: server, crypto });
      assert.equal(hello.appId, 'my-app');
      assert.deepEqual(hello.clientStaticKey, client.publicKey);
      const accepted = await hello.accept(serverPayload);
      const finished = await started.finish(accepted.reply);
      assert.deepEqual(finished.payload, serverPayload);
      assert.deepEqual(finished.sendKey, accepted.receiveKey);
      assert.deepEqual(finished.receiveKey, accepted.sendKey);
      assert.deepEqual(finished.handshakeHash, accepted.handshakeHash);
      await assert.rejects(hello.accept(serverPayload), code('ERR_INTERNAL'));
    });

    it('fails with ERR_HANDSHAKE when a cleartext appId byte is altered', async () => {
      const { server, started } = await setup(crypto);
      const altered = started.hello.slice();
      altered[2] = 'M'.charCodeAt(0);
      await assert.rejects(acceptHello(altered, { staticKey: server, crypto }), code('ERR_HANDSHAKE'));
    });

    it('fails with ERR_VERSION on an unknown version', async () => {
      const { server, started } = await setup(crypto);
      // 1: an SDK from before the key confirmation, 2: one from before ChaChaPoly; both refused at their first byte.
      for (const version of [0, 1, 2, 4, 255]) {
        const altered = started.hello.slice();
        altered[0] = version;
        await assert.rejects(acceptHello(altered, { staticKey: server, crypto }), code('ERR_VERSION'));
      }
    });

    it('names the version it got and the one it speaks when it refuses an AES-GCM (version 2) hello', async () => {
      const { server, started } = await setup(crypto);
      const v2 = started.hello.slice();
      v2[0] = 2;
      await assert.rejects(acceptHello(v2, { staticKey: server, crypto }), (err: unknown) => {
        assert.ok(isSealPushError(err) && err.code === 'ERR_VERSION');
        assert.match(err.message, /protocol version 2 is not supported: this server speaks version 3 only \(Noise_IK_25519_ChaChaPoly_SHA256\)/);
        return true;
      });
    });

    it('fails with ERR_HANDSHAKE when the client pinned another server key', async () => {
      const other = await crypto.generateKeyPair();
      const { server, started } = await setup(crypto, other.publicKey);
      await assert.rejects(acceptHello(started.hello, { staticKey: server, crypto }), code('ERR_HANDSHAKE'));
    });

    it('fails with ERR_HANDSHAKE on malformed hellos', async () => {
      const { server, started } = await setup(crypto);
      const h = started.hello;
      const cases: [string, Uint8Array][] = [
        ['empty', new Uint8Array(0)],
        ['version only', Uint8Array.of(PROTOCOL_VERSION)],
        ['appIdLen 0', Uint8Array.of(PROTOCOL_VERSION, 0, ...h.subarray(2))],
        ['appIdLen 65', Uint8Array.of(PROTOCOL_VERSION, 65, ...new Uint8Array(65 + 200).fill(0x61))],
        ['appId with a space', Uint8Array.of(PROTOCOL_VERSION, 6, ...utf8Encode('my app'), ...h.subarray(8))],
        ['truncated Noise message', h.subarray(0, h.length - 1)],
        ['no Noise message', h.subarray(0, 8)],
        ['too large', Uint8Array.of(...h, ...new Uint8Array(4096))],
        ['flipped ephemeral', Uint8Array.of(...h.subarray(0, 8), h[8]! ^ 1, ...h.subarray(9))],
      ];
      for (const [label, bytes] of cases) {
        await assert.rejects(acceptHello(bytes, { staticKey: server, crypto }), code('ERR_HANDSHAKE'), label);
      }
    });

    it('fails with ERR_HANDSHAKE on a bad reply', async () => {
      const { server, started } = await setup(crypto);
      const accepted = await (await acceptHello(started.hello, { staticKey: server, crypto })).accept(serverPayload);
      const altered = accepted.reply.slice();
      altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
      await assert.rejects(started.finish(altered), code('ERR_HANDSHAKE'));
      await assert.rejects(started.finish(accepted.reply), code('ERR_HANDSHAKE'));
      const second = await setup(crypto);
      await assert.rejects(second.started.finish(new Uint8Array(10)), code('ERR_HANDSHAKE'));
    });

    it('accepts a hello made to a previous key (an identity overlap) and says which; refuses one made to no listed key', async () => {
      const current = await crypto.generateKeyPair();
      const { server: old, started } = await setup(crypto);
      const other = await crypto.generateKeyPair();
      const hello = await acceptHello(started.hello, { staticKey: current, previousKeys: [other, old], crypto });
      assert.equal(hello.keyIndex, 2);
      const next = { ...serverPayload, nextServerKey: Buffer.from(current.publicKey).toString('base64url'), nextServerKeyUntil: 1_700_000_000_000 };
      const done = await started.finish((await hello.accept(next)).reply);
      assert.deepEqual(done.payload, next, 'the announcement arrives authenticated by the old key');
      const current2 = await setup(crypto);
      assert.equal((await acceptHello(current2.started.hello, { staticKey: current2.server, previousKeys: [old], crypto })).keyIndex, 0);
      const stranger = await setup(crypto);
      await assert.rejects(acceptHello(stranger.started.hello, { staticKey: current, previousKeys: [old], crypto }), code('ERR_HANDSHAKE'));
    });

    it('a refusal in message 2 reaches the client authenticated, with its code; a refusal naming no catalogue code fails the handshake', async () => {
      const { server, started } = await setup(crypto);
      const hello = await acceptHello(started.hello, { staticKey: server, crypto });
      const reply = await hello.refuse('ERR_ACK_KEY_MISMATCH');
      await assert.rejects(hello.accept(serverPayload), code('ERR_INTERNAL'), 'a hello is answered once');
      await assert.rejects(started.finish(reply), (err) => err instanceof HandshakeRefusal && err.code === 'ERR_ACK_KEY_MISMATCH');
      const again = await setup(crypto);
      const refused = await (await acceptHello(again.started.hello, { staticKey: again.server, crypto })).refuse('ERR_NOT_FOUND');
      refused[refused.length - 1]! ^= 1;
      await assert.rejects(again.started.finish(refused), (err) => !(err instanceof HandshakeRefusal) && code('ERR_HANDSHAKE')(err), 'an altered refusal is no refusal');
      assert.throws(() => decodeServerReply(utf8Encode('{"error":"ERR_NOPE"}')), code('ERR_HANDSHAKE'));
      assert.deepEqual(decodeServerReply(utf8Encode('{"error":"ERR_NOT_FOUND"}')), { refused: 'ERR_NOT_FOUND' });
    });

    it('refuses to start with an invalid appId or server key', async () => {
      const client = await crypto.generateKeyPair();
      const base = { serverKey: client.publicKey, staticKey: client, payload: { lastSeq: 0 }, crypto };
      for (const appId of ['', 'a'.repeat(65), 'bad app', 'é']) {
        await assert.rejects(startHello({ ...base, appId }), code('ERR_HANDSHAKE'), appId);
      }
      await assert.rejects(startHello({ ...base, appId: 'ok', serverKey: new Uint8Array(31) }), code('ERR_HANDSHAKE'));
    });
  });
}

describe('handshake payloads', () => {
  it('round-trip and ignore unknown keys', () => {
    assert.deepEqual(decodeClientHelloPayload(encodeClientHelloPayload({ lastSeq: 12 })), { lastSeq: 12 });
    assert.deepEqual(decodeClientHelloPayload(utf8Encode('{"lastSeq":0,"future":[1]}')), { lastSeq: 0 });
    assert.deepEqual(decodeServerHelloPayload(encodeServerHelloPayload(serverPayload)), serverPayload);
    const announcing = { ...serverPayload, cohortTickMs: 50, nextServerKey: 'A'.repeat(42) + 'Q', nextServerKeyUntil: 9 };
    assert.equal(
      new TextDecoder().decode(encodeServerHelloPayload(announcing)),
      JSON.stringify({ clientId: 'c_1', resumed: false, heartbeatMs: 25_000, maxFrameBytes: 1_048_576, cohortTickMs: 50, nextServerKey: 'A'.repeat(42) + 'Q', nextServerKeyUntil: 9 }),
      'fields in the documented order',
    );
    assert.deepEqual(
      decodeServerHelloPayload(utf8Encode(JSON.stringify({ ...serverPayload, cohort: 'x' }))),
      serverPayload,
    );
  });

  it('reject bad client payloads with ERR_HANDSHAKE', () => {
    for (const text of ['', 'null', '[]', '0', '{}', '{"lastSeq":-1}', '{"lastSeq":1.5}', '{"lastSeq":"1"}', '{"lastSeq":9007199254740992}', '{"lastSeq":1']) {
      assert.throws(() => decodeClientHelloPayload(utf8Encode(text)), code('ERR_HANDSHAKE'), text);
    }
    assert.throws(() => decodeClientHelloPayload(Uint8Array.of(0x7b, 0xff, 0x7d)), code('ERR_HANDSHAKE'));
    assert.throws(() => decodeClientHelloPayload(utf8Encode(`{"lastSeq":1,"pad":"${'x'.repeat(1024)}"}`)), code('ERR_HANDSHAKE'));
  });

  it('carry the optional HPKE key as base64url of exactly 32 bytes, checked strictly', () => {
    const hpkeKey = new Uint8Array(32).map((_, i) => i + 1);
    const bytes = encodeClientHelloPayload({ lastSeq: 3, hpkeKey });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), { lastSeq: 3, hpkeKey: Buffer.from(hpkeKey).toString('base64url') });
    assert.deepEqual(decodeClientHelloPayload(bytes), { lastSeq: 3, hpkeKey });
    const b64 = (n: number): string => Buffer.alloc(n, 7).toString('base64url');
    for (const hpke of [b64(31), b64(33), b64(32) + '=', b64(32).slice(0, 42) + '+', 'A'.repeat(42) + 'B', 32, null, [1, 2], '']) {
      const text = JSON.stringify({ lastSeq: 1, hpkeKey: hpke });
      assert.throws(() => decodeClientHelloPayload(utf8Encode(text)), code('ERR_HANDSHAKE'), text);
    }
    assert.throws(() => encodeClientHelloPayload({ lastSeq: 1, hpkeKey: new Uint8Array(31) }), code('ERR_INTERNAL'));
  });

  it('reject bad server payloads with ERR_HANDSHAKE', () => {
    const bad = [
      { ...serverPayload, clientId: '' },
      { ...serverPayload, clientId: 7 },
      { ...serverPayload, clientId: 'x'.repeat(129) },
      { ...serverPayload, resumed: 'no' },
      { ...serverPayload, heartbeatMs: 0 },
      { ...serverPayload, heartbeatMs: 1.5 },
      { ...serverPayload, maxFrameBytes: 255 },
      { clientId: 'c', resumed: true, heartbeatMs: 1 },
      { ...serverPayload, nextServerKey: 'A'.repeat(43) },
      { ...serverPayload, nextServerKeyUntil: 5 },
      { ...serverPayload, nextServerKey: 'A'.repeat(42), nextServerKeyUntil: 5 },
      { ...serverPayload, nextServerKey: 'A'.repeat(43), nextServerKeyUntil: -1 },
      { ...serverPayload, nextServerKey: 7, nextServerKeyUntil: 5 },
    ];
    for (const value of bad) {
      assert.throws(() => decodeServerHelloPayload(utf8Encode(JSON.stringify(value))), code('ERR_HANDSHAKE'), JSON.stringify(value));
    }
  });

  it('refuse to encode invalid payloads (ERR_INTERNAL)', () => {
    assert.throws(() => encodeClientHelloPayload({ lastSeq: -1 }), code('ERR_INTERNAL'));
    assert.throws(() => encodeServerHelloPayload({ ...serverPayload, maxFrameBytes: 10 }), code('ERR_INTERNAL'));
  });
});

describe('hello and the Noise suite', () => {
  it('runs only on the channel suite: an AESGCM NoiseCrypto is a caller bug (ERR_INTERNAL), on either side', async () => {
    const { server, started } = await setup(nodeNoiseCrypto);
    await assert.rejects(acceptHello(started.hello, { staticKey: server, crypto: nodeAesGcmNoiseCrypto }), code('ERR_INTERNAL'));
    const client = await nodeNoiseCrypto.generateKeyPair();
    const options = { appId: 'my-app', serverKey: server.publicKey, staticKey: client, payload: { lastSeq: 0 }, crypto: nodeAesGcmNoiseCrypto };
    await assert.rejects(startHello(options), code('ERR_INTERNAL'));
  });
});
