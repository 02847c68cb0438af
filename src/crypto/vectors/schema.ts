/**
 * Shape of `sealpush-v3.json`, the known-answer vectors of the sealpush v3 wire protocol
 * (written by scripts/make-protocol-vectors.ts, described in docs/protocol.md). Every byte
 * string is lower-case hex.
 */

/** One sealed transport frame. */
export interface FrameVector {
  readonly direction: 'server-to-client' | 'client-to-server';
  /** The CipherState counter (nonce) this frame was sealed with. */
  readonly counter: number;
  /** The frame's plaintext: `[u8 type][body]`. */
  readonly plaintext: string;
  /** The WebSocket binary message: ciphertext || tag. */
  readonly sealed: string;
  /** What the plaintext decodes to, for reading (`data` as UTF-8 JSON text). */
  readonly decoded:
    | { readonly type: 'deliver'; readonly messages: readonly MessageVector[] }
    | { readonly type: 'heartbeat' }
    | { readonly type: 'ack'; readonly seq: number }
    | { readonly type: 'confirm' };
}

export interface MessageVector {
  readonly seq: number;
  readonly createdAt: number;
  readonly id: string;
  readonly data: string;
}

/** A CipherState picked up at `startCounter` with `key` (the key in use at that counter). */
export interface RekeyVector {
  readonly direction: FrameVector['direction'];
  readonly key: string;
  readonly startCounter: number;
  /** REKEY(key): the key in use from counter 65,536 on. */
  readonly rekeyedKey: string;
  readonly frames: readonly FrameVector[];
}

/**
 * A SIGNED_ACK (docs/receipts.md) of the session's first ACK: the client's Ed25519 ack key,
 * the covered list, its digest, the signed bytes, the signature (Ed25519 is deterministic) and
 * the frame plaintext. Sealed, it would take the first ACK's place in `frames`.
 */
export interface SignedAckVector {
  readonly ackKeySeed: string;
  readonly ackKeyPublic: string;
  readonly ackKeyFingerprint: string;
  readonly clientId: string;
  readonly fromSeq: number;
  readonly uptoSeq: number;
  readonly covered: readonly { readonly seq: number; readonly id: string }[];
  readonly coveredBytes: string;
  readonly coveredDigest: string;
  readonly signedBytes: string;
  readonly signature: string;
  readonly plaintext: string;
}

/** The vector's hello refused in message 2 (same server ephemeral key): a refusal payload instead of a session. */
export interface RefusalVector {
  readonly code: string;
  readonly payloadBytes: string;
  readonly reply: string;
}

/** An authenticated close reason (docs/protocol.md section 4) under the vector session's secret. */
export interface CloseReasonVector {
  readonly code: string;
  readonly closeCode: number;
  /** The bytes the token authenticates: label || u16 closeCode || code. */
  readonly tokenInput: string;
  /** The WebSocket close reason: code, a space, base64url of the 16-byte token. */
  readonly reason: string;
}

/**
 * A resumption (docs/protocol.md section 2.6) of the vector session's client: the psk both sides
 * derive from its session secret, the TICKET frame the server sent, the ticket sealed under a
 * fixed ticket key and nonce, then NNpsk0 with fixed ephemeral keys, and the same hello refused.
 */
export interface ResumptionVector extends ExchangeVector {
  readonly noiseProtocol: string;
  /** HMAC-SHA-256(the vector session's sessionSecret, "sealpush resume psk v1"). */
  readonly psk: string;
  readonly ticketKey: string;
  readonly epoch: number;
  readonly ticketNonce: string;
  readonly ticketContents: {
    readonly id: string;
    readonly issuedAt: number;
    readonly expiresAt: number;
    readonly identityVersion: number;
    readonly appId: string;
    readonly clientId: string;
  };
  readonly ticket: string;
  /** The TICKET frame's plaintext (type 06, u64 expiresAt, ticket). */
  readonly ticketFramePlaintext: string;
  readonly clientEphemeralPrivate: string;
  readonly serverEphemeralPrivate: string;
  readonly clientPayload: { readonly lastSeq: number };
  readonly serverPayload: ProtocolVectors['serverPayload'];
  /** The same resume hello refused in message 2 with ERR_TICKET. */
  readonly refusal: RefusalVector;
}

/** One handshake's bytes, and what both sides derive from it. */
export interface ExchangeVector {
  readonly prologue: string;
  /** Client's first WebSocket message. */
  readonly hello: string;
  /** Server's reply: Noise message 2. */
  readonly reply: string;
  readonly handshakeHash: string;
  /** The third output of HKDF(ck, zerolen) at Split: the session's cohort secret (both sides). */
  readonly sessionSecret: string;
  /** Initiator-to-responder key: the client's sendKey and the server's receiveKey. */
  readonly clientToServerKey: string;
  /** Responder-to-initiator key: the server's sendKey and the client's receiveKey. */
  readonly serverToClientKey: string;
}

export interface ProtocolVectors extends ExchangeVector {
  readonly description: string;
  readonly protocolVersion: number;
  readonly noiseProtocol: string;
  readonly appId: string;
  readonly clientStaticPrivate: string;
  readonly clientStaticPublic: string;
  readonly clientEphemeralPrivate: string;
  readonly serverStaticPrivate: string;
  readonly serverStaticPublic: string;
  readonly serverEphemeralPrivate: string;
  readonly serverFingerprint: string;
  readonly clientPayload: { readonly lastSeq: number };
  readonly clientPayloadBytes: string;
  readonly serverPayload: {
    readonly clientId: string;
    readonly resumed: boolean;
    readonly heartbeatMs: number;
    readonly maxFrameBytes: number;
  };
  readonly serverPayloadBytes: string;
  /**
   * A session's first frames, in order; each direction's counters start at 0: the client's
   * CONFIRM, the server's HEARTBEAT that opens the session, then messages and ACKs.
   */
  readonly frames: readonly FrameVector[];
  readonly rekey: readonly RekeyVector[];
  readonly signedAck: SignedAckVector;
  readonly refusal: RefusalVector;
  readonly closeReason: CloseReasonVector;
  readonly resumption: ResumptionVector;
}
