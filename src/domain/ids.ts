/**
 * Unguessable identifiers. Uses the Web Crypto random source (a global in Node 20 and in
 * browsers), so the domain stays free of `node:*` imports.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Random bytes from a pool refilled 4 KiB at a time: one `getRandomValues` call costs about
 * as much as filling the whole pool (some µs), and ids and nonces are drawn per message.
 * Every byte is handed out once; the returned array is a copy.
 */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

export function randomBytes(length: number): Uint8Array {
  if (length > POOL_BYTES / 4) return globalThis.crypto.getRandomValues(new Uint8Array(length));
  if (poolOffset + length > pool.length) {
    pool = globalThis.crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

/** base64url without padding: 6 bits a character. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * A client id: `c_` and 144 random bits (26 characters). The prefix keeps ids from starting
 * with `-`, which a command line would read as an option (`sealpush clients forget ID`).
 */
export function newClientId(): string {
  return `c_${toBase64Url(randomBytes(18))}`;
}

/** The base64url characters in ASCII order, so that a fixed-width number written with them sorts as text. */
const SORTABLE_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * A generated message id: the creation time in milliseconds (8 characters that sort as
 * text) followed by 96 random bits (16 characters); 24 characters of base64url's alphabet.
 * Time first, so that ids generated one after another sort one after another: the store's
 * unique index on (app, id) then grows at its end, where random ids would dirty a random
 * index page per message (measured: about 5 KiB of disk writes per message instead of 1.8).
 */
export function newMessageId(now: number = Date.now()): string {
  let time = '';
  let rest = Math.max(0, Math.trunc(now));
  for (let i = 0; i < 8; i++) {
    time = SORTABLE_ALPHABET[rest % 64]! + time;
    rest = Math.floor(rest / 64);
  }
  return time + toBase64Url(randomBytes(12));
}

/** An app id: 96 random bits with a readable prefix. */
export function newAppId(): string {
  return `app_${toBase64Url(randomBytes(12))}`;
}

/** An app secret as handed to the user once: base64url of 32 random bytes. */
export function newAppSecret(): { text: string; bytes: Uint8Array } {
  const bytes = randomBytes(32);
  return { text: toBase64Url(bytes), bytes };
}
