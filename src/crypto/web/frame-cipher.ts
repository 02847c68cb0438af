/**
 * The browser SDK's transport ciphers: ../frame-cipher.ts on @noble/ciphers, producing and
 * accepting the same bytes as the server's. The work is synchronous; the methods still answer
 * with promises, the SDK's platform contract (client/platform.ts), so that a failure is always
 * a rejection. Calls run in call order, so counters follow call order.
 */

import { ChaChaPolyFrameOpener, ChaChaPolyFrameSealer } from '../frame-cipher.js';
import { nobleChaChaPoly } from './chachapoly.js';

/** Runs `step` now and settles with its result or its error. */
function settle<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Seals the frames the client sends. */
export class WebFrameSealer {
  readonly #sealer: ChaChaPolyFrameSealer;

  /** `key` is the session's sendKey; `startCounter` is for vectors and tests only. */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#sealer = new ChaChaPolyFrameSealer(nobleChaChaPoly, key, startCounter);
  }

  /** The counter of the next frame. */
  get counter(): number {
    return this.#sealer.counter;
  }

  /** Resolves to ciphertext || 16-byte tag. */
  seal(plaintext: Uint8Array): Promise<Uint8Array> {
    return settle(() => this.#sealer.seal(plaintext));
  }
}

/**
 * Opens the frames the client receives. Any failure rejects with SealPushError('ERR_FRAME')
 * and kills the opener: every later call rejects with ERR_FRAME too.
 */
export class WebFrameOpener {
  readonly #opener: ChaChaPolyFrameOpener;

  /** `key` is the session's receiveKey; `startCounter` is for vectors and tests only. */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#opener = new ChaChaPolyFrameOpener(nobleChaChaPoly, key, startCounter);
  }

  get counter(): number {
    return this.#opener.counter;
  }

  get isDead(): boolean {
    return this.#opener.isDead;
  }

  /** Resolves to the plaintext; the counter advances only on success. */
  open(sealed: Uint8Array): Promise<Uint8Array> {
    return settle(() => this.#opener.open(sealed));
  }
}
