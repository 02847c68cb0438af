// Published cacophony vectors for Noise_{NN,NK,XK,IK}_25519_{ChaChaPoly,AESGCM}_SHA256, each
// suite run against both of its NoiseCrypto implementations (server and Node SDK; browser SDK):
// every handshake and transport message, written and read. The ChaChaPoly file also carries
// the psk patterns (NNpsk0, NNpsk2, NKpsk0, IKpsk2), which HandshakeState does not run yet.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it, test } from 'node:test';
import { hexDecode, hexEncode } from '../../src/crypto/encoding.js';
import { HandshakeState } from '../../src/crypto/noise/handshake-state.js';
import { PATTERNS, type PatternName } from '../../src/crypto/noise/patterns.js';
import type { NoiseCrypto } from '../../src/crypto/noise/primitives.js';
import type { CipherState } from '../../src/crypto/noise/symmetric-state.js';
import { nodeAesGcmNoiseCrypto, nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import { webAesGcmNoiseCrypto, webNoiseCrypto } from '../../src/crypto/web/noise-crypto.js';

interface VectorMessage {
  payload: string;
  ciphertext: string;
}
interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_static?: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: VectorMessage[];
}

interface Suite {
  /** The file in src/crypto/vectors/ and in ../shared/vectors/. */
  readonly file: string;
  readonly cipher: 'ChaChaPoly' | 'AESGCM';
  readonly implementations: [string, NoiseCrypto][];
}

const SUITES: Suite[] = [
  {
    file: 'noise-25519-chachapoly-sha256.json',
    cipher: 'ChaChaPoly',
    implementations: [
      ['node:crypto + sodium-native', nodeNoiseCrypto],
      ['WebCrypto + @noble/ciphers', webNoiseCrypto],
    ],
  },
  {
    file: 'noise-25519-aesgcm-sha256.json',
    cipher: 'AESGCM',
    implementations: [
      ['node:crypto', nodeAesGcmNoiseCrypto],
      ['WebCrypto', webAesGcmNoiseCrypto],
    ],
  },
];

const vectorsPath = (suite: Suite) => new URL(`../../src/crypto/vectors/${suite.file}`, import.meta.url);
/** The vectors of the patterns HandshakeState runs (no psk modes). */
const vectorsOf = (suite: Suite) =>
  (JSON.parse(readFileSync(vectorsPath(suite), 'utf8')) as { vectors: Vector[] }).vectors.filter((v) => !v.protocol_name.includes('psk'));

function patternOf(vector: Vector): (typeof PATTERNS)[PatternName] {
  const name = /^Noise_([A-Z]+)_25519_(?:AESGCM|ChaChaPoly)_SHA256$/.exec(vector.protocol_name)?.[1] as PatternName;
  const pattern = PATTERNS[name];
  assert.ok(pattern, vector.protocol_name);
  return pattern;
}

async function runVector(crypto: NoiseCrypto, vector: Vector): Promise<void> {
  const pattern = patternOf(vector);
  const key = async (hex: string | undefined) => (hex ? crypto.keyPairFromPrivate(hexDecode(hex)) : undefined);
  const initiator = await HandshakeState.initialize({
    crypto,
    pattern,
    initiator: true,
    prologue: hexDecode(vector.init_prologue),
    s: await key(vector.init_static),
    e: await key(vector.init_ephemeral),
    rs: vector.init_remote_static ? hexDecode(vector.init_remote_static) : undefined,
  });
  const responder = await HandshakeState.initialize({
    crypto,
    pattern,
    initiator: false,
    prologue: hexDecode(vector.resp_prologue),
    s: await key(vector.resp_static),
    e: await key(vector.resp_ephemeral),
  });

  const handshakeLength = pattern.messages.length;
  let initiatorSend: CipherState | undefined;
  let responderSend: CipherState | undefined;
  let initiatorReceive: CipherState | undefined;
  let responderReceive: CipherState | undefined;

  for (const [i, message] of vector.messages.entries()) {
    const payload = hexDecode(message.payload);
    const fromInitiator = i % 2 === 0;
    if (i < handshakeLength) {
      const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
      assert.equal(hexEncode(await writer.writeMessage(payload)), message.ciphertext, `message ${i} written`);
      assert.equal(hexEncode(await reader.readMessage(hexDecode(message.ciphertext))), message.payload, `message ${i} read`);
      if (i === handshakeLength - 1) {
        assert.equal(hexEncode(initiator.handshakeHash), vector.handshake_hash, 'initiator handshake hash');
        assert.equal(hexEncode(responder.handshakeHash), vector.handshake_hash, 'responder handshake hash');
        const atInitiator = await initiator.split();
        const atResponder = await responder.split();
        initiatorSend = atInitiator.initiatorToResponder;
        initiatorReceive = atInitiator.responderToInitiator;
        responderReceive = atResponder.initiatorToResponder;
        responderSend = atResponder.responderToInitiator;
      }
      continue;
    }
    const sender = fromInitiator ? initiatorSend : responderSend;
    const receiver = fromInitiator ? responderReceive : initiatorReceive;
    assert.ok(sender && receiver);
    const empty = new Uint8Array(0);
    assert.equal(hexEncode(await sender.encryptWithAd(empty, payload)), message.ciphertext, `transport ${i} written`);
    const opened = await receiver.decryptWithAd(empty, hexDecode(message.ciphertext));
    assert.equal(hexEncode(opened), message.payload, `transport ${i} read`);
  }
}

for (const suite of SUITES) {
  const vectors = vectorsOf(suite);
  for (const [implementation, crypto] of suite.implementations) {
    describe(`Noise ${suite.cipher} vectors on ${implementation}`, () => {
      it('covers NN, NK, XK and IK', () => {
        const names = vectors.map((v) => patternOf(v).name).sort();
        assert.deepEqual(names, ['IK', 'NK', 'NN', 'XK']);
      });
      for (const vector of vectors) {
        it(vector.protocol_name, async () => {
          await runVector(crypto, vector);
        });
      }
      it('rejects a tampered handshake message and stays dead', async () => {
        const vector = vectors.find((v) => v.protocol_name.startsWith('Noise_IK_'))!;
        const responder = await HandshakeState.initialize({
          crypto,
          pattern: PATTERNS.IK,
          initiator: false,
          prologue: hexDecode(vector.resp_prologue),
          s: await crypto.keyPairFromPrivate(hexDecode(vector.resp_static!)),
        });
        const tampered = hexDecode(vector.messages[0]!.ciphertext);
        tampered[40] = tampered[40]! ^ 1;
        await assert.rejects(responder.readMessage(tampered));
        await assert.rejects(responder.readMessage(hexDecode(vector.messages[0]!.ciphertext)));
      });
    });
  }

  test(`the vendored ${suite.cipher} vectors are the published ones, and cover IK and NK`, () => {
    const published = new URL(`../../../shared/vectors/${suite.file}`, import.meta.url);
    if (existsSync(published)) assert.equal(readFileSync(vectorsPath(suite), 'utf8'), readFileSync(published, 'utf8'));
    const names = vectors.map((v) => v.protocol_name);
    for (const pattern of ['IK', 'NK']) assert.ok(names.includes(`Noise_${pattern}_25519_${suite.cipher}_SHA256`), pattern);
  });
}
