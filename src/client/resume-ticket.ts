/**
 * The client's resumption ticket (docs/protocol.md section 2.6): the latest one the server sent,
 * kept in the saved session, spent by the next connection. A ticket is single-use: it is taken
 * when a hello presents it, whatever happens next, and the session it opens brings a new one.
 */
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import { resumePsk } from '../crypto/resume-hello.js';
import type { NoiseCrypto } from '../crypto/noise/primitives.js';
import type { SavedTicket } from './session.js';

export interface HeldTicket {
  readonly ticket: Uint8Array;
  readonly psk: Uint8Array;
}

export class ResumeTicket {
  #saved: SavedTicket | null;

  /** `enabled` false (the `resume: false` option): never kept, never used. */
  constructor(
    saved: SavedTicket | undefined,
    private readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.#saved = enabled ? (saved ?? null) : null;
  }

  /** For the saved session. */
  get saved(): SavedTicket | undefined {
    return this.#saved ?? undefined;
  }

  /**
   * The ticket for the next hello, if one is held, unexpired, and came under `serverKey` (the key
   * the hello would pin: an application that pins another server does not resume with the old
   * one's ticket); it is gone from here on.
   */
  take(serverKey: Uint8Array): HeldTicket | null {
    const saved = this.#saved;
    this.#saved = null;
    if (saved === null || saved.expiresAt <= this.now() || saved.serverKey !== base64urlEncode(serverKey)) return null;
    try {
      return { ticket: base64urlDecode(saved.value), psk: base64urlDecode(saved.psk) };
    } catch {
      return null;
    }
  }

  /** A TICKET frame arrived on a session whose secret is `sessionSecret`, made with `serverKey` pinned. */
  async received(crypto: Pick<NoiseCrypto, 'hmac'>, sessionSecret: Uint8Array, serverKey: Uint8Array, frame: { readonly ticket: Uint8Array; readonly expiresAt: number }): Promise<void> {
    if (!this.enabled) return;
    const psk = await resumePsk(crypto, sessionSecret);
    this.#saved = { value: base64urlEncode(frame.ticket), psk: base64urlEncode(psk), expiresAt: frame.expiresAt, serverKey: base64urlEncode(serverKey) };
  }
}
