/** Domain types shared by every layer. Times are milliseconds since the Unix epoch. */

export type MessageStatus = 'queued' | 'delivered' | 'acked' | 'expired';

/** Cohort delivery's options (domain/delivery-settings.ts holds their defaults and bounds). */
export interface CohortSettings {
  /** Time between two envelopes of a cohort, ms. */
  readonly tickMs: number;
  /** Most connected clients of the app on a node that share one envelope (K). */
  readonly cohortSize: number;
  /** Slot sizes, bytes, increasing: each tick uses the smallest that holds every bundle due. */
  readonly slotBytes: readonly number[];
  /** Slot counts, increasing: an envelope has the smallest count >= its members. */
  readonly slotCounts: readonly number[];
}

/** How an app's messages reach its clients. */
export type DeliverySettings = { readonly mode: 'direct' } | ({ readonly mode: 'cohort' } & CohortSettings);

export interface App {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly delivery: DeliverySettings;
  /**
   * Whether the app's clients sign their ACKs (proof of delivery, docs/receipts.md). Off by
   * default: absent reads as off.
   */
  readonly receipts?: boolean;
}

/** An app as stored: its secret is wrapped by the KMS, never kept in the clear. */
export interface StoredApp extends App {
  readonly wrappedSecret: Uint8Array;
  /**
   * The app's registered Ed25519 public key (32 raw bytes) for publisher signatures, if any:
   * the server then refuses a publish whose data is not signed by it (docs/relay-blind.md).
   */
  readonly signingKey?: Uint8Array | null;
  /**
   * The secret `apps rotate-secret` replaced, wrapped like `wrappedSecret`, and when it stops
   * verifying (ms since the epoch): it verifies while now < previousSecretNotAfter. Null or
   * absent: none (never rotated, or the previous one was dropped by the next rotation).
   */
  readonly previousWrappedSecret?: Uint8Array | null;
  readonly previousSecretNotAfter?: number | null;
}

export interface Client {
  readonly id: string;
  readonly appId: string;
  /** The client's Noise static public key (32 raw bytes): the client's identity. */
  readonly staticKey: Uint8Array;
  /**
   * 32 random bytes from which the client's at-rest key is derived (PayloadKeyring). Not a
   * secret alone (the node's payload key is needed too), but destroying it destroys the key:
   * `clients forget` deletes it.
   */
  readonly keySalt: Uint8Array;
  /** Highest sequence number assigned to a message for this client (0: none yet). */
  readonly lastSeq: number;
  /** Every message with seq <= ackedSeq is acknowledged. */
  readonly ackedSeq: number;
  readonly createdAt: number;
  readonly lastSeenAt: number | null;
  /**
   * The client's Ed25519 ack key (32 raw bytes), registered by the first handshake that
   * carried one and never replaced: its signed ACKs are the receipts (docs/receipts.md).
   * Absent: the client never registered one; its ACKs are plain.
   */
  readonly ackKey?: Uint8Array;
  /**
   * The client's HPKE public key (32 raw X25519 bytes, never its Noise static key), from its
   * latest hello; null or absent when it sent none. Publishers seal relay-blind messages to it.
   */
  readonly hpkeKey?: Uint8Array | null;
}

export interface MessageRecord {
  readonly appId: string;
  readonly id: string;
  readonly clientId: string;
  readonly seq: number;
  readonly status: MessageStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly deliveredAt: number | null;
  readonly ackedAt: number | null;
  /**
   * What its publish's parameters fingerprinted to (NewMessage.fingerprint); null or absent
   * for rows stored before fingerprints (they answer any retry as a duplicate).
   */
  readonly fingerprint?: Uint8Array | null;
}

/** A message on its way to a client, in the clear, in memory only. */
export interface DeliverableMessage {
  readonly seq: number;
  readonly id: string;
  readonly createdAt: number;
  /** The message's `data` as JSON text, UTF-8. */
  readonly data: Uint8Array;
}

/** A pending message as the store returns it: its payload still sealed at rest. */
export interface SealedPending {
  readonly seq: number;
  readonly id: string;
  readonly appId: string;
  readonly createdAt: number;
  readonly payload: Uint8Array;
}

/** A long-lived server key: the private half wrapped by the KMS. */
export interface StoredServerKey {
  /** What the key is for: 'noise-static' (the server identity), 'payload' (at-rest data key). */
  readonly purpose: string;
  readonly version: number;
  /** Public half, empty for symmetric keys. */
  readonly publicKey: Uint8Array;
  readonly wrappedSecret: Uint8Array;
  readonly createdAt: number;
  /**
   * When this version stops being used (ms since the epoch), set when a newer version
   * replaced it with an overlap (`keys rotate-identity`); absent while it is the current one.
   */
  readonly notAfter?: number;
}

/**
 * A column holding KMS-wrapped blobs, which a master-key rotation re-wraps. Adding a wrapped
 * column means one more name here, one entry in the rotation's context table
 * (domain/usecases/master-key-rotation.ts) and one in each store driver's column table.
 */
export type WrappedColumn =
  | 'apps.wrapped_secret'
  | 'apps.previous_wrapped_secret'
  | 'webhook_endpoints.wrapped_secret'
  | 'webhook_endpoints.previous_wrapped_secret'
  | 'server_keys.wrapped_secret'
  | 'app_jwt_keys.key_material';

/** One wrapped blob and the row that holds it: `key` is the row's primary key, in column order. */
export interface WrappedBlob {
  readonly key: readonly (string | number)[];
  readonly blob: Uint8Array;
}

/** The JWS algorithms a publisher may sign its bearer tokens with. */
export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/**
 * A key that verifies one app's bearer tokens, found by issuer AND key id together (a key id
 * alone may repeat across issuers). `keyMaterial` is the public JWK as UTF-8 JSON for EdDSA
 * and ES256; for HS256 the shared secret, wrapped by the KMS.
 */
export interface StoredJwtKey {
  readonly issuer: string;
  readonly kid: string;
  readonly appId: string;
  readonly alg: JwtAlgorithm;
  readonly keyMaterial: Uint8Array;
  readonly createdAt: number;
}

/**
 * An operator credential for `/v1/admin` (`sealpush admin create`). The token shown once is
 * `sp_admin_<id>_<secret>`; only SHA-256 of the secret part is stored, never the token.
 */
export interface StoredAdminToken {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the secret part (32 bytes). */
  readonly tokenHash: Uint8Array;
  readonly createdAt: number;
}

/** Messages pending (queued or delivered, not expired) of one app. */
export interface AppPendingCount {
  readonly appId: string;
  readonly pending: number;
}

/**
 * One signed ACK of a client (docs/receipts.md): it acknowledges every seq <= uptoSeq, and
 * `messages` are those its connection delivered with fromSeq < seq <= uptoSeq, in seq order.
 * `signature` is the client's Ed25519 signature over ackSignedBytes (crypto/ack-receipt.ts),
 * so sealpush cannot forge one. Written in the same commit as the ack it proves.
 */
export interface AckReceipt {
  readonly fromSeq: number;
  readonly uptoSeq: number;
  readonly messages: readonly { readonly seq: number; readonly id: string }[];
  /** 64 bytes. */
  readonly signature: Uint8Array;
}

/** A receipt as stored: whose it is, and when its ack was committed. */
export interface StoredReceipt extends AckReceipt {
  readonly clientId: string;
  readonly ackedAt: number;
}

/**
 * A forgotten client's tombstone: its key salt and messages were destroyed and its row
 * deleted at `forgottenAt`. `seq` orders tombstones, so that running nodes can poll for
 * the ones after the last they saw.
 */
export interface ForgottenClient {
  readonly seq: number;
  readonly clientId: string;
  readonly appId: string;
  readonly forgottenAt: number;
}
