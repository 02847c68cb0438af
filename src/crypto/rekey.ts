/**
 * The transport rekey schedule, shared by the server's and the SDK's frame ciphers so that
 * both sides rekey at the same frame with no signalling. Browser-safe.
 */

import { MAX_COUNTER } from './noise/primitives.js';

/** Each direction's CipherState calls Noise REKEY() after every 65,536 frames it processed. */
export const REKEY_INTERVAL = 65_536;

/**
 * Highest counter a frame cipher uses; past it, the connection must close (the client
 * reconnects with fresh keys). Far below Noise's reserved 2^64-1.
 */
export const MAX_FRAME_COUNTER = MAX_COUNTER - 1;

/** True after processing (sealing or opening successfully) the frame with counter `counter`. */
export function rekeyDueAfter(counter: number): boolean {
  return (counter + 1) % REKEY_INTERVAL === 0;
}
