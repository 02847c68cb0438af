// Published cacophony vectors for Noise_{NN,NK,XK,IK}_25519_{ChaChaPoly,AESGCM}_SHA256 and the
// psk patterns (NNpsk0, NNpsk2, NKpsk0, IKpsk2) of both suites, each suite run against both of
// its NoiseCrypto implementations (server and Node SDK; browser SDK): every handshake and
// transport message, written and read.
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
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: VectorMessage[];
}

interface Suite {
  /** The file in src/crypto/vectors/ and in ../shared/vectors/. */
  readonly file: string;
  /** The file of its psk patterns, when they are not in `file`. */
  readonly pskFile?: string;
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
    pskFile: 'noise-25519-aesgcm-sha256-psk.json',
    cipher: 'AESGCM',
    implementations: [
      ['node:crypto', nodeAesGcmNoiseCrypto],
      ['WebCrypto', webAesGcmNoiseCrypto],
    ],
  },
];

const vectorsPath = (file: string) => new URL(`../../src/crypto/vectors/${file}`, import.meta.url);
const vectorsIn = (file: string) => (JSON.parse(readFileSync(vectorsPath(file), 'utf8')) as { vectors: Vector[] }).vectors;
const filesOf = (suite: Suite) => [suite.file, ...(suite.pskFile ? [suite.pskFile] : [])];
const allVectorsOf = (suite: Suite) => filesOf(suite).flatMap(vectorsIn);
/** The vectors of the base patterns (no psk modifier). */
const vectorsOf = (suite: Suite) => allVectorsOf(suite).filter((v) => !v.protocol_name.includes('psk'));
/** The vectors of the psk patterns. */
const pskVectorsOf = (suite: Suite) => allVectorsOf(suite).filter((v) => v.protocol_name.includes('psk'));

function patternOf(vector: Vector): (typeof PATTERNS)[PatternName] {
  const name = /^Noise_([A-Za-z0-9]+)_25519_(?:AESGCM|ChaChaPoly)_SHA256$/.exec(vector.protocol_name)?.[1] as PatternName;
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
    psks: vector.init_psks?.map(hexDecode),
  });
  const responder = await HandshakeState.initialize({
    crypto,
    pattern,
    initiator: false,
    prologue: hexDecode(vector.resp_prologue),
    s: await key(vector.resp_static),
    e: await key(vector.resp_ephemeral),
    psks: vector.resp_psks?.map(hexDecode),
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
  const pskVectors = pskVectorsOf(suite);
  for (const [implementation, crypto] of suite.implementations) {
    describe(`Noise ${suite.cipher} vectors on ${implementation}`, () => {
      it('covers NN, NK, XK and IK', () => {
        const names = vectors.map((v) => patternOf(v).name).sort();
        assert.deepEqual(names, ['IK', 'NK', 'NN', 'XK']);
      });
      it('covers NNpsk0, NNpsk2, NKpsk0 and IKpsk2', () => {
        const names = pskVectors.map((v) => patternOf(v).name).sort();
        assert.deepEqual(names, ['IKpsk2', 'NKpsk0', 'NNpsk0', 'NNpsk2']);
      });
      for (const vector of [...vectors, ...pskVectors]) {
        it(vector.protocol_name, async () => {
          await runVector(crypto, vector);
        });
      }
      it('refuses a psk pattern without its psk, and a psk of the wrong length', async () => {
        const start = (psks?: Uint8Array[]) =>
          HandshakeState.initialize({ crypto, pattern: PATTERNS.NNpsk0, initiator: true, prologue: new Uint8Array(0), psks });
        await assert.rejects(start(), /needs 1 psk/);
        await assert.rejects(start([new Uint8Array(31)]), /32 bytes/);
        await start([new Uint8Array(32)]);
      });
      it('a responder with another psk rejects the initiator\'s first psk0 message', async () => {
        const start = (initiator: boolean, psk: number) =>
          HandshakeState.initialize({ crypto, pattern: PATTERNS.NNpsk0, initiator, prologue: new Uint8Array(0), psks: [new Uint8Array(32).fill(psk)] });
        const message = await (await start(true, 1)).writeMessage(new Uint8Array(0));
        await assert.rejects((await start(false, 2)).readMessage(message));
        await (await start(false, 1)).readMessage(message);
      });
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
    for (const file of filesOf(suite)) {
      const published = new URL(`../../../shared/vectors/${file}`, import.meta.url);
      if (existsSync(published)) assert.equal(readFileSync(vectorsPath(file), 'utf8'), readFileSync(published, 'utf8'), file);
    }
    const names = vectors.map((v) => v.protocol_name);
    for (const pattern of ['IK', 'NK']) assert.ok(names.includes(`Noise_${pattern}_25519_${suite.cipher}_SHA256`), pattern);
  });
}
