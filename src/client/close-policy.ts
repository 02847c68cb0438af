/**
 * What the SDK makes of a closed connection (docs/protocol.md section 4). A WebSocket close
 * code is not authenticated: anyone on the path can forge one. So a close stops the client for
 * good only when the server authenticated its code: in the handshake reply (a refusal in
 * message 2) or with the close reason's token (crypto/close-reason.ts). A permanent code
 * without either is treated as transient (reconnect with backoff, resume) and reported.
 */
import { codeForClose, isTransientClose, ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.js';
import { authenticatedCloseCode } from '../crypto/close-reason.js';
import type { NoiseCrypto } from '../crypto/noise/primitives.js';

export interface CloseFacts {
  readonly code: number;
  readonly reason: string;
  /** Why this side closed the socket, when it did. */
  readonly local: ErrorCode | null;
  /** The code of the server's refusal in handshake message 2, if it refused. */
  readonly refused: ErrorCode | null;
  /** The session's secret, once the handshake completed on this socket: checks the close reason's token. */
  readonly sessionSecret: Uint8Array | null;
}

export interface CloseVerdict {
  /** The catalogue code the close names, if any (the server's, else our own). */
  readonly errorCode: ErrorCode | undefined;
  /** Do not reconnect: the server authenticated a permanent code. */
  readonly permanent: boolean;
  /** A permanent code nobody authenticated: reconnecting anyway, and telling the application. */
  readonly unauthenticated: ErrorCode | null;
}

/** Decides from what the close said and what this side knows (`crypto`: the platform's HMAC). */
export async function judgeClose(crypto: Pick<NoiseCrypto, 'hmac'>, facts: CloseFacts): Promise<CloseVerdict> {
  const { code, reason, local, refused, sessionSecret } = facts;
  const named = codeForClose(code);
  const authenticated = refused ?? (sessionSecret && named ? await authenticatedCloseCode(crypto, sessionSecret, code, reason) : null);
  if (authenticated) return { errorCode: authenticated, permanent: !isTransientClose(ERROR_CATALOGUE[authenticated].ws), unauthenticated: null };
  const errorCode = named ?? local ?? undefined;
  // ERR_HANDSHAKE and ERR_VERSION found before the server could read the hello, or by this
  // side in a reply that does not open, cannot be authenticated either.
  const unauthenticated = !isTransientClose(code) || local === 'ERR_HANDSHAKE' || local === 'ERR_VERSION' ? (errorCode ?? null) : null;
  return { errorCode, permanent: false, unauthenticated };
}
