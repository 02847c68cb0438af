/**
 * The transport ciphers of the server and the Node SDK: ../frame-cipher.ts on sodium-native,
 * synchronous because sealing is the delivery hot path.
 */

import { ChaChaPolyFrameOpener, ChaChaPolyFrameSealer } from '../frame-cipher.js';
import { sodiumChaChaPoly } from './chachapoly.js';

/** Seals the frames this side sends (see ChaChaPolyFrameSealer). */
export class FrameSealer extends ChaChaPolyFrameSealer {
  /** `startCounter` other than 0 is for vectors and tests only. */
  constructor(key: Uint8Array, startCounter = 0) {
    super(sodiumChaChaPoly, key, startCounter);
  }
}

/** Opens the frames this side receives; any failure is ERR_FRAME, for good (see ChaChaPolyFrameOpener). */
export class FrameOpener extends ChaChaPolyFrameOpener {
  constructor(key: Uint8Array, startCounter = 0) {
    super(sodiumChaChaPoly, key, startCounter);
  }
}
