// The resumption part of src/crypto/vectors/sealpush-v3.json (docs/protocol.md section 2.6),
// written by scripts/make-protocol-vectors.ts from the vector session's secret and fixed keys.
import { hexEncode, utf8Encode, concatBytes } from '../src/crypto/encoding.js';
import { encodeTicket } from '../src/crypto/frames.js';
import { PROLOGUE_LABEL } from '../src/crypto/hello.js';
import { encodeServerRefusal } from '../src/crypto/hello-payloads.js';
import { RESUME_PROTOCOL_NAME, acceptResumeHello, readResumeHello, resumePsk, startResumeHello } from '../src/crypto/resume-hello.js';
import { sealTicket } from '../src/crypto/node/ticket.js';
import { staticKeyPairFromPrivate } from '../src/crypto/node/keys.js';
import { nodeNoiseCrypto } from '../src/crypto/node/noise-crypto.js';
import type { SessionKeys } from '../src/crypto/hello.js';
import type { ExchangeVector, ProtocolVectors, ResumptionVector } from '../src/crypto/vectors/schema.js';

/** A handshake's vector fields: the prologue (label and header), both messages, what both sides derived. */
export function exchangeVector(header: Uint8Array, hello: Uint8Array, server: SessionKeys & { readonly reply: Uint8Array }, client: SessionKeys): ExchangeVector {
  return {
    prologue: hexEncode(concatBytes(utf8Encode(PROLOGUE_LABEL), header)),
    hello: hexEncode(hello),
    reply: hexEncode(server.reply),
    handshakeHash: hexEncode(server.handshakeHash),
    sessionSecret: hexEncode(server.sessionSecret),
    clientToServerKey: hexEncode(client.sendKey),
    serverToClientKey: hexEncode(server.sendKey),
  };
}

export async function resumptionVector(
  session: Pick<ProtocolVectors, 'appId' | 'serverPayload'> & { readonly sessionSecret: Uint8Array },
  fixedKey: (label: string) => Uint8Array,
): Promise<ResumptionVector> {
  const crypto = nodeNoiseCrypto;
  const psk = await resumePsk(crypto, session.sessionSecret);
  const ticketKey = fixedKey('ticket key');
  const ticketNonce = fixedKey('ticket nonce').subarray(0, 24);
  const epoch = 20_454; // 2026-01-01 with 24 h epochs
  const ticketContents = {
    id: hexEncode(fixedKey('ticket id').subarray(0, 16)),
    issuedAt: 1_767_225_700_000,
    expiresAt: 1_767_312_100_000,
    identityVersion: 1,
    appId: session.appId,
    clientId: session.serverPayload.clientId,
  };
  const ticket = sealTicket(ticketKey, epoch, { ...ticketContents, id: fixedKey('ticket id').subarray(0, 16), psk }, ticketNonce);
  const clientEphemeral = staticKeyPairFromPrivate(fixedKey('resume client ephemeral'));
  const serverEphemeral = staticKeyPairFromPrivate(fixedKey('resume server ephemeral'));
  const clientPayload = { lastSeq: 45 };
  const start = () => startResumeHello({ appId: session.appId, ticket, psk, payload: clientPayload, crypto, ephemeral: clientEphemeral });
  const client = await start();
  const accept = async () => acceptResumeHello(readResumeHello(client.hello), { psk, crypto, ephemeral: serverEphemeral });
  const server = await (await accept()).accept(session.serverPayload);
  const clientKeys = await client.finish(server.reply);
  return {
    noiseProtocol: RESUME_PROTOCOL_NAME,
    psk: hexEncode(psk),
    ticketKey: hexEncode(ticketKey),
    epoch,
    ticketNonce: hexEncode(ticketNonce),
    ticketContents,
    ticket: hexEncode(ticket),
    ticketFramePlaintext: hexEncode(encodeTicket(ticketContents.expiresAt, ticket)),
    clientEphemeralPrivate: hexEncode(clientEphemeral.privateKey),
    serverEphemeralPrivate: hexEncode(serverEphemeral.privateKey),
    clientPayload,
    serverPayload: session.serverPayload,
    ...exchangeVector(readResumeHello(client.hello).header, client.hello, server, clientKeys),
    refusal: { code: 'ERR_TICKET', payloadBytes: hexEncode(encodeServerRefusal('ERR_TICKET')), reply: hexEncode(await (await accept()).refuse('ERR_TICKET')) },
  };
}
