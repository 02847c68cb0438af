/**
 * The server's transport ciphers (docs/protocol.md, "Frames"): one Noise CipherState per
 * direction, synchronous on node:crypto because sealing is the delivery hot path. Each
 * WebSocket binary message is AES-256-GCM(k, nonce(n), ad = empty, plaintext) || tag; the
 * CipherState calls REKEY() after every 65,536 frames (see ../rekey.ts).
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SealPushError } from '../../domain/errors.js';
import { KEYLEN, TAGLEN } from '../noise/primitives.js';
import { MAX_FRAME_COUNTER, rekeyDueAfter } from '../rekey.js';
import { aesGcmRekey } from './noise-crypto.js';

/**
 * One nonce buffer for every cipher state: sealing and opening are synchronous, so a nonce
 * is always written and consumed before another state writes it. Saves an allocation per
 * connection and direction.
 */
const SCRATCH_NONCE = Buffer.alloc(12);

/**
 * Counter and key of one direction. The key is kept as its 32 raw bytes, not a KeyObject:
 * createCipheriv takes either at the same speed (about 4 µs a 300-byte seal), and a
 * KeyObject costs about 700 bytes of memory, twice per idle connection.
 */
class FrameCounterState {
  #key: Uint8Array;
  #counter: number;

  constructor(key: Uint8Array, counter: number) {
    if (key.length !== KEYLEN) throw new RangeError('a frame key is 32 bytes');
    if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_FRAME_COUNTER) {
      throw new RangeError('frame counter out of range');
    }
    this.#key = key.slice();
    this.#counter = counter;
  }

  get counter(): number {
    return this.#counter;
  }

  get key(): Uint8Array {
    return this.#key;
  }

  /** Writes and returns the nonce for the next frame; throws once the counter is exhausted. */
  prepare(): Buffer {
    if (this.#counter > MAX_FRAME_COUNTER) throw new SealPushError('ERR_FRAME', 'frame counter exhausted; reconnect');
    SCRATCH_NONCE.writeUInt32BE(Math.floor(this.#counter / 0x1_0000_0000), 4);
    SCRATCH_NONCE.writeUInt32BE(this.#counter >>> 0, 8);
    return SCRATCH_NONCE;
  }

  /** After a frame was processed: advance, and rekey on schedule. */
  advance(): void {
    if (rekeyDueAfter(this.#counter)) this.#key = aesGcmRekey(this.#key);
    this.#counter += 1;
  }
}

/** Seals the frames the server sends. */
export class FrameSealer {
  readonly #state: FrameCounterState;

  /**
   * `key` is the session's sendKey. A session starts at counter 0; another `startCounter`
   * (with the key in use at that counter) is for vectors and tests only.
   */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(key, startCounter);
  }

  /** The counter the next frame will use. */
  get counter(): number {
    return this.#state.counter;
  }

  /** Returns ciphertext || 16-byte tag. Throws ERR_FRAME only when the counter is exhausted. */
  seal(plaintext: Uint8Array): Buffer {
    const state = this.#state;
    const cipher = createCipheriv('aes-256-gcm', state.key, state.prepare());
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const sealed = Buffer.concat([head, tail, cipher.getAuthTag()], head.length + tail.length + TAGLEN);
    state.advance();
    return sealed;
  }
}

/**
 * Opens the frames the server receives. Any failure throws SealPushError('ERR_FRAME') and
 * kills the opener: a replayed, reordered, dropped, truncated or altered frame ends the
 * connection, and every later call throws ERR_FRAME too.
 */
export class FrameOpener {
  readonly #state: FrameCounterState;
  #dead = false;

  /** `key` is the session's receiveKey; `startCounter` as for FrameSealer. */
  constructor(key: Uint8Array, startCounter = 0) {
    this.#state = new FrameCounterState(key, startCounter);
  }

  /** The counter the next frame must have been sealed with. */
  get counter(): number {
    return this.#state.counter;
  }

  get isDead(): boolean {
    return this.#dead;
  }

  /** Returns the plaintext; the counter advances only on success. */
  open(sealed: Uint8Array): Buffer {
    if (this.#dead) throw new SealPushError('ERR_FRAME', 'the frame stream already failed');
    const state = this.#state;
    let plaintext: Buffer;
    try {
      if (sealed.length < TAGLEN) throw new Error('frame shorter than its tag');
      const decipher = createDecipheriv('aes-256-gcm', state.key, state.prepare());
      decipher.setAuthTag(sealed.subarray(sealed.length - TAGLEN));
      const head = decipher.update(sealed.subarray(0, sealed.length - TAGLEN));
      const tail = decipher.final();
      plaintext = tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      this.#dead = true;
      throw new SealPushError('ERR_FRAME');
    }
    state.advance();
    return plaintext;
  }
}
