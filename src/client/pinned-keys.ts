/**
 * The server keys a client pins (docs/keys.md, identity rotation): the one to try first, the
 * others to try after a refused handshake, and a successor the server announced under the
 * pinned key, which goes first from then on and is kept in the saved session.
 */
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import type { ClientEvents } from './events.js';

export class PinnedKeys {
  #keys: Uint8Array[];
  #index = 0;
  /** Handshakes refused in a row since the last success: every pinned key is tried once. */
  #refused = 0;
  /** The key the server last announced (base64url), or null. */
  #announced: string | null;

  constructor(keys: readonly Uint8Array[], announced: string | null) {
    this.#keys = [...keys];
    this.#announced = announced;
  }

  /** The key the next handshake pins. */
  get current(): Uint8Array {
    return this.#keys[this.#index]!;
  }

  /** The announced successor to keep in the session, or null. */
  get announced(): string | null {
    return this.#announced;
  }

  /** A handshake succeeded: the next refusal starts a new round over the keys. */
  succeeded(): void {
    this.#refused = 0;
  }

  /**
   * A handshake was refused under the current key: move to the next one. True when a key of
   * this round is still untried (try it at once); false once every key was refused (back off,
   * then try all of them again).
   */
  refused(): boolean {
    if (this.#keys.length < 2) return false;
    this.#index = (this.#index + 1) % this.#keys.length;
    if (++this.#refused < this.#keys.length) return true;
    this.#refused = 0;
    return false;
  }

  /**
   * The server announced `next` under the current key: pin it first, keep the others (the old
   * one still works until `until`); returns what the `serverkey` event tells the application.
   */
  follow(next: string, until: number): ClientEvents['serverkey'] {
    const previous = this.current;
    this.#keys = [base64urlDecode(next), ...this.#keys.filter((k) => base64urlEncode(k) !== next)];
    this.#index = 0;
    this.#announced = next;
    return { serverKey: next, until: new Date(until).toISOString(), previousKey: base64urlEncode(previous) };
  }
}
