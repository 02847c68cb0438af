/** What a client hands the application: its messages and its events. */
import type { SealPushError } from '../domain/errors.js';
import type { SavedSession } from './session.js';

/** A message as the application sees it: each exactly once, in publish order. */
export interface Message {
  readonly id: string;
  readonly seq: number;
  /** The publisher's `data`, parsed. */
  readonly data: unknown;
  /** When sealpush accepted it (ISO 8601). */
  readonly createdAt: string;
  /** It arrived HPKE-sealed to this client: sealpush stored and forwarded only ciphertext. */
  readonly sealed: boolean;
  /** Its publisher signature verified with the `publisherKey` this client pinned. */
  readonly verified: boolean;
}

/**
 * A delivered message the SDK refused (ERR_SEALED_MESSAGE, ERR_MESSAGE_SIGNATURE): in order
 * with the others, given to 'error' listeners instead of 'message' ones, and acked like any
 * other (docs/relay-blind.md says why).
 */
export interface RefusedMessage {
  readonly seq: number;
  readonly error: SealPushError;
}

export type Inbound = Message | RefusedMessage;

export interface ClientEvents {
  message: Message;
  /** The secure session is up (first connect or a reconnect). */
  connected: { clientId: string; resumed: boolean };
  /**
   * The connection closed. `retryInMs`, when it will reconnect: the backoff's delay before the
   * next attempt (at most `reconnect.maxDelayMs`), e.g. to show "reconnecting in 3 s".
   */
  disconnected: { code: number; reason: string; willReconnect: boolean; retryInMs?: number };
  /** The saved session changed (new lastSeq or new client id): store it again if you persist it. */
  session: SavedSession;
  /**
   * The server rotated its identity: it announced `serverKey` (base64url) inside a handshake
   * authenticated by the key this client had pinned. The client uses it from its next
   * connection on; persist it and pass it as `serverKey` next time. The key used so far is
   * accepted until `until` (ISO 8601).
   */
  serverkey: { serverKey: string; until: string; previousKey: string };
  /**
   * A refused message (ERR_SEALED_MESSAGE, ERR_MESSAGE_SIGNATURE), or a close the SDK reports:
   * those are a SealPushConnectionError, with the URL, the pinned key's fingerprint and a hint.
   */
  error: SealPushError;
  /**
   * A frame as it came off the wire, still sealed (the transport ciphertext, or the whole
   * cohort envelope), once it was opened: for inspection, as the demo page shows them.
   * `messageIds` are the messages it carried for this client (none for a heartbeat, or an
   * envelope with nothing for it); it comes before their 'message' events.
   */
  frame: { bytes: Uint8Array; receivedAt: string; cohort: boolean; messageIds: string[] };
}
