/**
 * The error catalogue: every error sealpush reports, to a publisher over REST or to a client
 * over the WebSocket, has one entry here. Tests assert codes, never messages.
 *
 * WebSocket close codes are grouped by what the client should do next:
 *   4000-4499  transient: reconnect with backoff and resume (nothing is lost);
 *   4500-4999  permanent: do not reconnect automatically (fix the configuration or the code).
 * A close code is not authenticated: the SDK takes a permanent one as such only when the server
 * authenticated it (docs/protocol.md section 4, crypto/close-reason.ts).
 * Standard codes are used where they mean exactly the same thing (1001, 1009, 1011).
 */
export type ErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_AUTH_MISSING'
  | 'ERR_AUTH_SIGNATURE'
  | 'ERR_AUTH_EXPIRED'
  | 'ERR_AUTH_REPLAY'
  | 'ERR_NOT_FOUND'
  | 'ERR_TOO_LARGE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_INTERNAL'
  | 'ERR_FRAME'
  | 'ERR_PROTOCOL'
  | 'ERR_HANDSHAKE'
  | 'ERR_VERSION'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_IDLE_TIMEOUT'
  | 'ERR_SLOW_CONSUMER'
  | 'ERR_TOO_MANY_CONNECTIONS'
  | 'ERR_SESSION_REPLACED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_CLIENT_FULL'
  | 'ERR_NO_RECEIPT'
  | 'ERR_ACK_KEY_MISMATCH'
  | 'ERR_CLIENT_FORGOTTEN'
  | 'ERR_SEALED_MESSAGE'
  | 'ERR_MESSAGE_SIGNATURE'
  | 'ERR_IDEMPOTENCY_CONFLICT'
  | 'ERR_TICKET';

export interface CatalogueEntry {
  /** Default human-readable message; a thrower may give a more specific one. */
  readonly message: string;
  /** HTTP status when the error answers a REST request. */
  readonly http: number;
  /** WebSocket close code when the error ends a client connection. */
  readonly ws: number;
}

/** Everything there is to know about one error, in one place. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, CatalogueEntry>> = {
  ERR_BAD_REQUEST: { message: 'The request is malformed or fails validation', http: 400, ws: 4502 },
  ERR_UNSUPPORTED_MEDIA_TYPE: { message: 'The request body must be application/json', http: 415, ws: 4503 },
  ERR_AUTH_MISSING: { message: 'The Authorization header is missing or malformed', http: 401, ws: 4510 },
  ERR_AUTH_SIGNATURE: { message: 'The request signature does not verify', http: 401, ws: 4511 },
  ERR_AUTH_EXPIRED: { message: 'The request timestamp is outside the accepted window', http: 401, ws: 4512 },
  ERR_AUTH_REPLAY: { message: 'The request nonce was already used', http: 401, ws: 4513 },
  ERR_NOT_FOUND: { message: 'No such resource', http: 404, ws: 4504 },
  ERR_TOO_LARGE: { message: 'The payload exceeds the size limit', http: 413, ws: 1009 },
  ERR_UNAVAILABLE: { message: 'The server is not ready or is shutting down; retry later', http: 503, ws: 1001 },
  ERR_INTERNAL: { message: 'Internal error', http: 500, ws: 1011 },
  ERR_FRAME: { message: 'A frame failed to authenticate (altered, replayed, reordered or truncated)', http: 400, ws: 4100 },
  ERR_PROTOCOL: { message: 'A frame is well sealed but violates the protocol', http: 400, ws: 4501 },
  ERR_HANDSHAKE: { message: 'The secure handshake failed (wrong server key or corrupted handshake)', http: 400, ws: 4500 },
  ERR_VERSION: { message: 'Unsupported protocol version', http: 400, ws: 4505 },
  ERR_HANDSHAKE_TIMEOUT: { message: 'The handshake did not complete in time', http: 408, ws: 4101 },
  ERR_IDLE_TIMEOUT: { message: 'The connection was idle for too long', http: 408, ws: 4102 },
  ERR_SLOW_CONSUMER: { message: 'The client did not read its frames in time; reconnect to resume', http: 503, ws: 4103 },
  ERR_TOO_MANY_CONNECTIONS: { message: 'The server holds its maximum number of connections', http: 503, ws: 4104 },
  ERR_SESSION_REPLACED: { message: 'A newer connection resumed this client', http: 409, ws: 4506 },
  ERR_RATE_LIMITED: { message: 'Too many requests; retry after the time Retry-After gives', http: 429, ws: 4105 },
  // WebSocket only, transient: the SDK drops its ticket and runs the full handshake at once.
  ERR_TICKET: { message: 'The resumption ticket is not accepted (expired, unknown, altered, revoked or already used); run the full handshake', http: 400, ws: 4106 },
  ERR_CLIENT_FULL: { message: 'The client holds its maximum of pending messages', http: 409, ws: 4507 },
  ERR_NO_RECEIPT: { message: 'The message has no signed receipt (not acked yet, or acked without a signature)', http: 409, ws: 4514 },
  ERR_ACK_KEY_MISMATCH: { message: 'The client presented an ack key other than the one it registered', http: 409, ws: 4509 },
  // WebSocket only: over REST a forgotten client's id is ERR_NOT_FOUND like any unknown id.
  ERR_CLIENT_FORGOTTEN: { message: 'This client was forgotten: its keys and messages are destroyed', http: 404, ws: 4508 },
  ERR_SEALED_MESSAGE: { message: 'A sealed (relay-blind) message cannot be sealed or opened for this client', http: 400, ws: 4520 },
  ERR_MESSAGE_SIGNATURE: { message: 'The message is not signed by the publisher key', http: 400, ws: 4521 },
  // REST only: a publish refusal, never a close; 4515 keeps the permanent range free of clashes.
  ERR_IDEMPOTENCY_CONFLICT: { message: 'This message id was already used with other parameters (to, data or ttl)', http: 409, ws: 4515 },
};

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** Whether a client should reconnect after its connection was closed with `closeCode`. */
export function isTransientClose(closeCode: number): boolean {
  if (closeCode >= 4500 && closeCode <= 4999) return false;
  return true;
}

/** The catalogue entry for a WebSocket close code, if it is one of ours. */
export function codeForClose(closeCode: number): ErrorCode | undefined {
  for (const code of ERROR_CODES) {
    if (ERROR_CATALOGUE[code].ws === closeCode && closeCode >= 4000) return code;
  }
  return undefined;
}

/** The one error type sealpush throws for anything the catalogue describes. */
export class SealPushError extends Error {
  readonly code: ErrorCode;
  /** When to try again (ERR_RATE_LIMITED): the HTTP answer's Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, retryAfterSeconds?: number) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'SealPushError';
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].http;
  }

  get closeCode(): number {
    return ERROR_CATALOGUE[this.code].ws;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isSealPushError(err: unknown): err is SealPushError {
  return err instanceof SealPushError;
}

/** The message of anything thrown: an Error's message, or the thrown value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
