/**
 * The error a client reports about its connection (a first `connect()` that failed, or a close
 * it tells the application about): the catalogue's code and message, plus where it connected,
 * which server key it pinned, how the socket closed and what to do. Still a SealPushError, so
 * `switch (err.code)` works as for every other error.
 */
import { ERROR_CATALOGUE, SealPushError, type ErrorCode } from '../domain/errors.js';
import { fingerprint as keyFingerprint } from '../crypto/fingerprint.js';
import { parseCloseReason } from '../crypto/close-reason.js';
import { clientHint } from './hints.js';

export interface ConnectionFacts {
  readonly code: ErrorCode;
  /** The WebSocket URL the client dialled. */
  readonly url: string;
  /** The server key (32 bytes) this attempt pinned. */
  readonly serverKey: Uint8Array;
  readonly closeCode: number;
  readonly closeReason: string;
  /** Said before the hint, when the SDK has more to say (e.g. "treated as transient"). */
  readonly note?: string | undefined;
}

export class SealPushConnectionError extends SealPushError {
  /** The WebSocket URL the client dialled. */
  readonly url: string;
  /** The pinned server key's fingerprint, as `sealpush keys show` prints it. */
  readonly fingerprint: string;
  /** What to do about it (src/client/hints.ts, quoted in docs/sdk.md). */
  readonly hint: string;
  /** The reason the socket closed with ('' when none: always for 1006). */
  readonly closeReason: string;
  readonly #closeCode: number;

  constructor(code: ErrorCode, message: string, details: { url: string; fingerprint: string; hint: string; closeCode: number; closeReason: string }) {
    super(code, message);
    this.url = details.url;
    this.fingerprint = details.fingerprint;
    this.hint = details.hint;
    this.#closeCode = details.closeCode;
    this.closeReason = details.closeReason;
  }

  /** The close code the socket actually closed with (1006: nothing answered, or the link dropped). */
  override get closeCode(): number {
    return this.#closeCode;
  }
}

/**
 * Builds the error, its message in one line: the catalogue's sentence, how the connection to
 * which URL ended, the pinned key's fingerprint, then the hint. Never the key itself.
 */
export async function connectionError(facts: ConnectionFacts): Promise<SealPushConnectionError> {
  const { code, url, closeCode, closeReason, note } = facts;
  const fingerprint = await keyFingerprint(facts.serverKey);
  const hint = clientHint(code, closeCode, url);
  // An authenticated reason shows its code only: the token is for the SDK, not for people.
  const shownReason = parseCloseReason(closeCode, closeReason)?.code ?? closeReason;
  const closed = `connection to ${url} closed (${closeCode}${shownReason ? ` ${shownReason}` : ''})`;
  const message = `${ERROR_CATALOGUE[code].message}: ${closed}; pinned server key ${fingerprint}${note ? `; ${note}` : ''}. ${hint}`;
  return new SealPushConnectionError(code, message, { url, fingerprint, hint, closeCode, closeReason });
}
