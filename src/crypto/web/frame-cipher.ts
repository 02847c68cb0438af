/**
 * The SDK's transport ciphers on WebCrypto: the asynchronous twins of ../node/frame-cipher.ts,
 * producing and accepting the same bytes. The AES key is imported once per key (at start and
 * after each rekey), never per frame. Calls may overlap: they run one at a time, in call order,
 * so counters follow call order.
 */

import { SealPushError } from '../../domain/errors.js';
import { counterNonce, KEYLEN, rekeyNonce, TAGLEN } from '../noise/primitives.js';
import { MAX_FRAME_COUNTER, rekeyDueAfter } from '../rekey.js';
import { aesGcmOpen, aesGcmSeal, importAesKey } from './noise-crypto.js';

const EMPTY = new Uint8Array(0);
const REKEY_ZEROS = new Uint8Array(32);

/** Key, counter and the queue that keeps one direction's operations in order. */
class FrameCounterState {
  #key: Promise<CryptoKey>;
  #counter: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(key: Uint8Array, counter: number) {
    if (key.length !== KEYLEN) throw new RangeError('a frame key is 32 bytes');
    if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_FRAME_COUNTER) {
      throw new RangeError('frame counter out of range');
    }
    this.#key = importAesKey(key);
    this.#counter = counter;
  }

  get counter(): number {
    return this.#counter;
  }

  /** Runs `step` after every earlier step settled; a failed step does not stop later ones. */
  enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The key and nonce for the next frame; throws once the counter is exhausted. */
  async next(): Promise<{ key: CryptoKey; nonce: Uint8Array<ArrayBuffer> }> {
    if (this.#counter > MAX_FRAME_COUNTER) throw new SealPushError('ERR_FRAME', 'frame counter exhausted; reconnect');
    return { key: await this.#key, nonce: counterNonce(this.#counter) };
  }

  /** After a frame was processed: advance, and rekey on schedule (REKEY uses the old key). */
  async advance(): Promise<void> {
    if (rekeyDueAfter(this.#counter)) {
      const sealed = await aesGcmSeal(await this.#key, rekeyNonce(), EMPTY, REKEY_ZEROS);
      this.#key = importAesKey(sealed.subarray(0, KEYLEN));
    }
    this.#counter += 1;
  }
}

/** Seals the frames the client sends. */
export class WebFrameSealer {
  readonly #state: FrameCounterState;

  /** `key` is the session's sendKey; `startCounter` is for vectors and tests only. */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(key, startCounter);
  }

  /** The counter of the next frame, once every pending call settled. */
  get counter(): number {
    return this.#state.counter;
  }

  /** Resolves to ciphertext || 16-byte tag. `plaintext` is copied at call time. */
  seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const copy = plaintext.slice();
    const state = this.#state;
    return state.enqueue(async () => {
      const { key, nonce } = await state.next();
      const sealed = await aesGcmSeal(key, nonce, EMPTY, copy);
      await state.advance();
      return sealed;
    });
  }
}

/**
 * Opens the frames the client receives. Any failure rejects with SealPushError('ERR_FRAME')
 * and kills the opener: every later call rejects with ERR_FRAME too.
 */
export class WebFrameOpener {
  readonly #state: FrameCounterState;
  #dead = false;

  /** `key` is the session's receiveKey; `startCounter` is for vectors and tests only. */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(key, startCounter);
  }

  get counter(): number {
    return this.#state.counter;
  }

  get isDead(): boolean {
    return this.#dead;
  }

  /** Resolves to the plaintext; the counter advances only on success. */
  open(sealed: Uint8Array): Promise<Uint8Array> {
    const copy = sealed.slice();
    const state = this.#state;
    return state.enqueue(async () => {
      if (this.#dead) throw new SealPushError('ERR_FRAME', 'the frame stream already failed');
      let plaintext: Uint8Array;
      try {
        if (copy.length < TAGLEN) throw new Error('frame shorter than its tag');
        const { key, nonce } = await state.next();
        plaintext = await aesGcmOpen(key, nonce, EMPTY, copy);
      } catch {
        this.#dead = true;
        throw new SealPushError('ERR_FRAME');
      }
      await state.advance();
      return plaintext;
    });
  }
}
