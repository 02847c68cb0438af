// Writes src/crypto/vectors/sealpush-v3.json: known-answer vectors of the sealpush v3 wire
// protocol from fixed keys, computed with the server's code (node:crypto, sodium-native). The
// tests check that the server's code and the browser SDK's (WebCrypto, @noble/ciphers) both
// reproduce every byte.
//
//   node --import tsx scripts/make-protocol-vectors.ts [--check] [--help]
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { writeVectorsFile } from './vectors-file.js';
import { exchangeVector, resumptionVector } from './resumption-vector.js';
import type { DeliverableMessage } from '../src/domain/types.js';
import { concatBytes, hexEncode, utf8Decode, utf8Encode } from '../src/crypto/encoding.js';
import { encodeAck, encodeConfirm, encodeDeliver, encodeHeartbeat, encodeSignedAck } from '../src/crypto/frames.js';
import { closeTokenInput } from '../src/crypto/close-reason.js';
import { authenticatedCloseReason } from '../src/crypto/node/close-reason.js';
import { ERROR_CATALOGUE } from '../src/domain/errors.js';
import { ackKeyFingerprint, ackSignedBytes, encodeCoveredList } from '../src/crypto/ack-receipt.js';
import { nodeAckKeyCrypto } from '../src/crypto/node/ack-key.js';
import { sha256 } from '../src/crypto/node/sha256.js';
import { encodeClientHelloPayload, encodeServerHelloPayload, encodeServerRefusal } from '../src/crypto/hello-payloads.js';
import { NOISE_PROTOCOL_NAME, PROTOCOL_VERSION, acceptHello, startHello } from '../src/crypto/hello.js';
import { FrameSealer } from '../src/crypto/node/frame-cipher.js';
import { fingerprint, staticKeyPairFromPrivate } from '../src/crypto/node/keys.js';
import { nodeNoiseCrypto } from '../src/crypto/node/noise-crypto.js';
import { sodiumChaChaPoly } from '../src/crypto/node/chachapoly.js';
import { chaChaPolyRekey } from '../src/crypto/noise/chachapoly.js';
import type { KeyPair } from '../src/crypto/noise/primitives.js';
import type { CloseReasonVector, FrameVector, MessageVector, ProtocolVectors, RefusalVector, RekeyVector, SignedAckVector } from '../src/crypto/vectors/schema.js';

const OUTPUT = fileURLToPath(new URL('../src/crypto/vectors/sealpush-v3.json', import.meta.url));

/** Fixed 32-byte key material: SHA-256 of a label, so the vectors are reproducible (labels kept from v1). */
function fixedKey(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`sealpush-v1 vector ${label}`).digest());
}

function message(seq: number, createdAt: number, id: string, data: unknown): DeliverableMessage {
  return { seq, createdAt, id, data: utf8Encode(JSON.stringify(data)) };
}

function describeMessages(messages: readonly DeliverableMessage[]): MessageVector[] {
  return messages.map((m) => ({ seq: m.seq, createdAt: m.createdAt, id: m.id, data: utf8Decode(m.data) }));
}

function frame(sealer: FrameSealer, direction: FrameVector['direction'], plaintext: Uint8Array, decoded: FrameVector['decoded']): FrameVector {
  const counter = sealer.counter;
  return { direction, counter, plaintext: hexEncode(plaintext), sealed: hexEncode(sealer.seal(plaintext)), decoded };
}

const deliver = (messages: DeliverableMessage[]): [Uint8Array, FrameVector['decoded']] => [
  encodeDeliver(messages),
  { type: 'deliver', messages: describeMessages(messages) },
];
const ack = (seq: number): [Uint8Array, FrameVector['decoded']] => [encodeAck(seq), { type: 'ack', seq }];
const heartbeat = (): [Uint8Array, FrameVector['decoded']] => [encodeHeartbeat(), { type: 'heartbeat' }];
const confirm = (): [Uint8Array, FrameVector['decoded']] => [encodeConfirm(), { type: 'confirm' }];

/** The same hello refused (an unknown app) in message 2, from the same server ephemeral key. */
async function refusalVector(hello: Uint8Array, serverStatic: KeyPair, serverEphemeral: KeyPair): Promise<RefusalVector> {
  const accepted = await acceptHello(hello, { staticKey: serverStatic, crypto: nodeNoiseCrypto, ephemeral: serverEphemeral });
  const code = 'ERR_NOT_FOUND';
  return { code, payloadBytes: hexEncode(encodeServerRefusal(code)), reply: hexEncode(await accepted.refuse(code)) };
}

/** The session's permanent close with ERR_SESSION_REPLACED, its token under the session secret. */
function closeReasonVector(sessionSecret: Uint8Array): CloseReasonVector {
  const code = 'ERR_SESSION_REPLACED';
  return { code, closeCode: ERROR_CATALOGUE[code].ws, tokenInput: hexEncode(closeTokenInput(code)), reason: authenticatedCloseReason(sessionSecret, code) };
}

/** The session's first ACK (44, after the DELIVER of 42..44), signed. */
async function signedAckVector(appId: string, clientId: string, delivered: readonly DeliverableMessage[]): Promise<SignedAckVector> {
  const key = await nodeAckKeyCrypto.fromSeed(fixedKey('client ack key'));
  const covered = delivered.map(({ seq, id }) => ({ seq, id }));
  const coveredBytes = encodeCoveredList(covered);
  const coveredDigest = sha256(coveredBytes);
  const uptoSeq = covered[covered.length - 1]!.seq;
  const signedBytes = ackSignedBytes({ appId, clientId, fromSeq: 0, uptoSeq }, coveredDigest);
  const signature = await key.sign(signedBytes);
  return {
    ackKeySeed: hexEncode(key.seed),
    ackKeyPublic: hexEncode(key.publicKey),
    ackKeyFingerprint: await ackKeyFingerprint(key.publicKey, nodeAckKeyCrypto.sha256),
    clientId,
    fromSeq: 0,
    uptoSeq,
    covered,
    coveredBytes: hexEncode(coveredBytes),
    coveredDigest: hexEncode(coveredDigest),
    signedBytes: hexEncode(signedBytes),
    signature: hexEncode(signature),
    plaintext: hexEncode(encodeSignedAck(uptoSeq, signature)),
  };
}

async function build(): Promise<ProtocolVectors> {
  const crypto = nodeNoiseCrypto;
  const appId = 'demo-app_1';
  const clientStatic = staticKeyPairFromPrivate(fixedKey('client static'));
  const clientEphemeral = staticKeyPairFromPrivate(fixedKey('client ephemeral'));
  const serverStatic = staticKeyPairFromPrivate(fixedKey('server static'));
  const serverEphemeral = staticKeyPairFromPrivate(fixedKey('server ephemeral'));
  const clientPayload = { lastSeq: 41 };
  const serverPayload = { clientId: 'c_7Hq2xNfKp0aZ3mWb', resumed: true, heartbeatMs: 25_000, maxFrameBytes: 1_048_576 };

  const client = await startHello({
    appId,
    serverKey: serverStatic.publicKey,
    staticKey: clientStatic,
    payload: clientPayload,
    crypto,
    ephemeral: clientEphemeral,
  });
  const accepted = await acceptHello(client.hello, { staticKey: serverStatic, crypto, ephemeral: serverEphemeral });
  const server = await accepted.accept(serverPayload);
  const clientKeys = await client.finish(server.reply);

  const toClient = new FrameSealer(server.sendKey);
  const toServer = new FrameSealer(clientKeys.sendKey);
  const s2c = 'server-to-client' as const;
  const c2s = 'client-to-server' as const;
  const firstDeliver = [
    message(42, 1_767_225_600_000, 'msg-0001', { status: 'paid', amount: 4200, currency: 'EUR' }),
    message(43, 1_767_225_600_250, 'report/ü-2', { url: 'https://example.com/r/2', pages: 12 }),
    message(44, 1_767_225_601_000, '01JH3ZQ8Y6V7', 'done ✓'),
  ];
  const frames: FrameVector[] = [
    frame(toServer, c2s, ...confirm()),
    frame(toClient, s2c, ...heartbeat()),
    frame(toClient, s2c, ...deliver(firstDeliver)),
    frame(toServer, c2s, ...ack(44)),
    frame(toClient, s2c, ...heartbeat()),
    frame(toClient, s2c, ...deliver([message(45, 1_767_225_700_000, 'msg-0002', null)])),
    frame(toServer, c2s, ...ack(45)),
  ];

  const rekeyVector = (direction: FrameVector['direction'], key: Uint8Array, startCounter: number, plaintexts: [Uint8Array, FrameVector['decoded']][]): RekeyVector => {
    const sealer = new FrameSealer(key, startCounter);
    return {
      direction,
      key: hexEncode(key),
      startCounter,
      rekeyedKey: hexEncode(chaChaPolyRekey(sodiumChaChaPoly, key)),
      frames: plaintexts.map(([plaintext, decoded]) => frame(sealer, direction, plaintext, decoded)),
    };
  };
  const rekey = [
    rekeyVector(s2c, server.sendKey, 65_534, [
      heartbeat(),
      deliver([message(100, 1_767_300_000_000, 'before-rekey', { n: 65_535 })]),
      deliver([message(101, 1_767_300_000_001, 'after-rekey', { n: 65_536 })]),
    ]),
    rekeyVector(c2s, clientKeys.sendKey, 65_535, [ack(100), ack(101)]),
  ];

  return {
    description:
      'Known-answer vectors of the sealpush v3 wire protocol (docs/protocol.md). Byte strings are hex. ' +
      'Generated by scripts/make-protocol-vectors.ts; do not edit by hand.',
    protocolVersion: PROTOCOL_VERSION,
    noiseProtocol: NOISE_PROTOCOL_NAME,
    appId,
    clientStaticPrivate: hexEncode(clientStatic.privateKey),
    clientStaticPublic: hexEncode(clientStatic.publicKey),
    clientEphemeralPrivate: hexEncode(clientEphemeral.privateKey),
    serverStaticPrivate: hexEncode(serverStatic.privateKey),
    serverStaticPublic: hexEncode(serverStatic.publicKey),
    serverEphemeralPrivate: hexEncode(serverEphemeral.privateKey),
    serverFingerprint: fingerprint(serverStatic.publicKey),
    clientPayload,
    clientPayloadBytes: hexEncode(encodeClientHelloPayload(clientPayload)),
    serverPayload,
    serverPayloadBytes: hexEncode(encodeServerHelloPayload(serverPayload)),
    ...exchangeVector(concatBytes(Uint8Array.of(PROTOCOL_VERSION, appId.length), utf8Encode(appId)), client.hello, server, clientKeys),
    frames,
    rekey,
    signedAck: await signedAckVector(appId, serverPayload.clientId, firstDeliver),
    refusal: await refusalVector(client.hello, serverStatic, serverEphemeral),
    closeReason: closeReasonVector(server.sessionSecret),
    resumption: await resumptionVector({ appId, serverPayload, sessionSecret: server.sessionSecret }, fixedKey),
  };
}

process.exitCode = await writeVectorsFile('make-protocol-vectors', OUTPUT, build, process.argv.slice(2));
