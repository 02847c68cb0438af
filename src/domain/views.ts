import type { ErrorCode } from './errors.js';
import type { MessageStatus } from './types.js';

/** What the REST API and the app SDK show. Times are ISO 8601 strings (UTC) or null. */

export interface PublishAccepted {
  readonly id: string;
  readonly status: MessageStatus;
}

export interface PublishRefused {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export type PublishResult = PublishAccepted | PublishRefused;

export interface MessageView {
  readonly id: string;
  readonly to: string;
  readonly status: MessageStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly deliveredAt: string | null;
  readonly ackedAt: string | null;
}

export interface ClientView {
  readonly id: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
  readonly pending: number;
  /**
   * The client's HPKE public key (base64url of 32 bytes) from its latest hello, to seal
   * relay-blind messages to; null when it published none. Served by sealpush: a publisher
   * that cannot trust the server pins it instead (docs/relay-blind.md).
   */
  readonly hpkeKey: string | null;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
