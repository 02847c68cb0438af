import type { JwtAlgorithm, MessageRecord, StoredReceipt } from '../types.js';
import type { ClientView, ForgottenClientView, MessageView, PublishResult } from '../views.js';

/**
 * What the REST transport asks of the domain, for one authenticated app. Implemented by
 * the domain's use cases; the transport knows nothing else about them.
 */
export interface PushApi {
  /**
   * Validates and publishes each item (the raw, untrusted JSON value of one message:
   * `{ to, data, ttl?, id? }`). Resolves only after every accepted message is durably
   * committed. One result per item, in order; an invalid item or one addressed to a client
   * that is not this app's gets its own error and the others still go through.
   */
  publish(appId: string, items: readonly unknown[]): Promise<PublishResult[]>;
  /** Rejects with ERR_NOT_FOUND for an unknown id or another app's message. */
  messageStatus(appId: string, messageId: string): Promise<MessageView>;
  /**
   * The signed ACK that acknowledged a message, with the client's registered ack key. Rejects
   * with ERR_NOT_FOUND for an unknown id or another app's message, ERR_NO_RECEIPT when it is
   * not acked yet or was acked without a signature.
   */
  messageReceipt(appId: string, messageId: string): Promise<MessageReceipt>;
  /** Rejects with ERR_NOT_FOUND for an unknown id or another app's client. */
  clientInfo(appId: string, clientId: string): Promise<ClientView>;
  /**
   * Crypto-shreds the client (docs/forget.md): its key and every message of it are destroyed,
   * its connection is closed, and its id reads as unknown from then on. Rejects with
   * ERR_NOT_FOUND, changing nothing, for an unknown id or another app's client.
   */
  forgetClient(appId: string, clientId: string): Promise<ForgottenClientView>;
}

/** A message, the receipt that acked it, and the ack key it verifies with (32 bytes). */
export interface MessageReceipt {
  readonly message: MessageRecord;
  readonly receipt: StoredReceipt;
  readonly ackKey: Uint8Array;
}

/** Resolves an app's signing secrets (unwrapped, kept in memory only). */
export interface AppSecrets {
  /**
   * The secrets a request of the app may be signed with, current first, then the one a
   * rotation replaced while its overlap lasts; empty for an unknown app.
   */
  secretsFor(appId: string): Promise<readonly Uint8Array[]>;
  /** The key that verifies bearer tokens of `issuer` with key id `kid`, if one is registered. */
  jwtKeyFor?(issuer: string, kid: string): Promise<{ appId: string; alg: JwtAlgorithm; publicJwk?: Record<string, string>; secret?: Uint8Array } | undefined>;
}

/** Whether the node accepts work: false while starting, draining or cut off from its store. */
export interface Readiness {
  ready(): Promise<boolean>;
}
