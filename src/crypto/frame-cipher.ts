/**
 * The transport ciphers (docs/protocol.md, "Frames"): one Noise CipherState per direction, on
 * the ChaChaPoly suite. Each WebSocket binary message is ChaCha20-Poly1305(k, nonce(n), ad =
 * empty, plaintext) || tag, nonce(n) = 4 zero bytes || u64 little-endian n; the state calls
 * REKEY() after every 65,536 frames (./rekey.ts). Synchronous on every platform, because
 * sealing is the server's delivery hot path: the caller injects its AEAD (sodium-native on
 * Node, @noble/ciphers in browsers). Browser-safe.
 */

import { SealPushError } from '../domain/errors.js';
import { type ChaChaPolyAead, chaChaPolyRekey } from './noise/chachapoly.js';
import { KEYLEN, writeChaChaPolyCounter } from './noise/primitives.js';
import { MAX_FRAME_COUNTER, rekeyDueAfter } from './rekey.js';

const EMPTY = new Uint8Array(0);

/**
 * One nonce buffer for every cipher state: sealing and opening are synchronous, so a nonce
 * is always written and consumed before another state writes it. Saves an allocation per
 * connection and direction. Bytes 0..3 stay zero.
 */
const SCRATCH_NONCE = new Uint8Array(12);

/** Counter and key of one direction, kept as 32 raw bytes (no per-connection key object). */
class FrameCounterState {
  readonly #aead: ChaChaPolyAead;
  #key: Uint8Array;
  #counter: number;

  constructor(aead: ChaChaPolyAead, key: Uint8Array, counter: number) {
    if (key.length !== KEYLEN) throw new RangeError('a frame key is 32 bytes');
    if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_FRAME_COUNTER) {
      throw new RangeError('frame counter out of range');
    }
    this.#aead = aead;
    this.#key = key.slice();
    this.#counter = counter;
  }

  get counter(): number {
    return this.#counter;
  }

  seal(plaintext: Uint8Array): Uint8Array {
    return this.#aead.seal(this.#key, this.#nonce(), EMPTY, plaintext);
  }

  open(sealed: Uint8Array): Uint8Array {
    return this.#aead.open(this.#key, this.#nonce(), EMPTY, sealed);
  }

  /** After a frame was processed: advance, and rekey on schedule (REKEY uses the old key). */
  advance(): void {
    if (rekeyDueAfter(this.#counter)) this.#key = chaChaPolyRekey(this.#aead, this.#key);
    this.#counter += 1;
  }

  /** The nonce of the next frame; throws once the counter is exhausted. */
  #nonce(): Uint8Array {
    if (this.#counter > MAX_FRAME_COUNTER) throw new SealPushError('ERR_FRAME', 'frame counter exhausted; reconnect');
    writeChaChaPolyCounter(SCRATCH_NONCE, this.#counter);
    return SCRATCH_NONCE;
  }
}

/** Seals the frames one side sends. */
export class ChaChaPolyFrameSealer {
  readonly #state: FrameCounterState;

  /**
   * `key` is the session's sendKey. A session starts at counter 0; another `startCounter`
   * (with the key in use at that counter) is for vectors and tests only.
   */
  constructor(aead: ChaChaPolyAead, key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(aead, key, startCounter);
  }

  /** The counter the next frame will use. */
  get counter(): number {
    return this.#state.counter;
  }

  /** Returns ciphertext || 16-byte tag. Throws ERR_FRAME only when the counter is exhausted. */
  seal(plaintext: Uint8Array): Uint8Array {
    const sealed = this.#state.seal(plaintext);
    this.#state.advance();
    return sealed;
  }
}

/**
 * Opens the frames one side receives. Any failure throws SealPushError('ERR_FRAME') and kills
 * the opener: a replayed, reordered, dropped, truncated or altered frame ends the connection,
 * and every later call throws ERR_FRAME too.
 */
export class ChaChaPolyFrameOpener {
  readonly #state: FrameCounterState;
  #dead = false;

  /** `key` is the session's receiveKey; `startCounter` as for the sealer. */
  constructor(aead: ChaChaPolyAead, key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(aead, key, startCounter);
  }

  /** The counter the next frame must have been sealed with. */
  get counter(): number {
    return this.#state.counter;
  }

  get isDead(): boolean {
    return this.#dead;
  }

  /** Returns the plaintext; the counter advances only on success. */
  open(sealed: Uint8Array): Uint8Array {
    if (this.#dead) throw new SealPushError('ERR_FRAME', 'the frame stream already failed');
    let plaintext: Uint8Array;
    try {
      plaintext = this.#state.open(sealed);
    } catch {
      this.#dead = true;
      throw new SealPushError('ERR_FRAME');
    }
    this.#state.advance();
    return plaintext;
  }
}
