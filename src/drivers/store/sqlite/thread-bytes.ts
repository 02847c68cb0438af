/**
 * The byte primitives of the store worker's packed commit (thread-codec.ts has the layout):
 * a string is its UTF-8 length u16 then the UTF-8; bytes are a length u32 then the bytes;
 * numbers are little-endian u32 or float64.
 */

/** The longest string a u16 length prefix holds; a longer id fails the commit (RangeError). */
export const MAX_STRING_BYTES = 0xffff;
/** UTF-8 takes at most 3 bytes per UTF-16 unit (4 for a surrogate pair of 2 units). */
const MAX_UTF8_PER_UNIT = 3;

/** Upper bound, not exact: an exact UTF-8 length would cost a second scan of every string. */
export function stringBound(s: string): number {
  return 2 + MAX_UTF8_PER_UNIT * s.length;
}

/** Writes into a buffer sized beforehand from the bounds (stringBound). */
export class Writer {
  // allocUnsafeSlow is never carved from Buffer's shared pool: the ArrayBuffer is ours alone
  // to transfer, and is not zero-filled first (the bytes past `pos` are never read).
  readonly #bytes: Buffer;
  readonly #view: DataView;
  #pos = 0;

  constructor(size: number) {
    this.#bytes = Buffer.allocUnsafeSlow(size);
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
  }

  get buffer(): ArrayBuffer {
    return this.#bytes.buffer as ArrayBuffer;
  }

  u32(n: number): void {
    this.#view.setUint32(this.#pos, n, true);
    this.#pos += 4;
  }

  f64(n: number): void {
    this.#view.setFloat64(this.#pos, n, true);
    this.#pos += 8;
  }

  /**
   * Ids are short and nearly always ASCII: a plain loop writes those in about 45 ns, where
   * the call into Buffer#write (the faster of it and TextEncoder.encodeInto) takes about 75.
   * Anything else goes to Buffer#write, from the start.
   */
  string(s: string): void {
    const start = this.#pos + 2;
    const bytes = this.#bytes;
    const units = s.length;
    let length = 0;
    while (length < units) {
      const unit = s.charCodeAt(length);
      if (unit > 0x7f) break;
      bytes[start + length++] = unit;
    }
    if (length < units) length = bytes.write(s, start, 'utf8');
    if (length > MAX_STRING_BYTES) {
      throw new RangeError(`sqlite store: an id of ${length} UTF-8 bytes is longer than ${MAX_STRING_BYTES}`);
    }
    this.#view.setUint16(this.#pos, length, true);
    this.#pos = start + length;
  }

  bytes(data: Uint8Array): void {
    this.u32(data.byteLength);
    this.#bytes.set(data, this.#pos);
    this.#pos += data.byteLength;
  }
}

/** Reads what a Writer wrote, in the same order. */
export class Reader {
  readonly #buffer: ArrayBuffer;
  readonly #bytes: Buffer;
  readonly #view: DataView;
  #pos = 0;

  constructor(buffer: ArrayBuffer) {
    this.#buffer = buffer;
    this.#bytes = Buffer.from(buffer);
    this.#view = new DataView(buffer);
  }

  u32(): number {
    const n = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return n;
  }

  f64(): number {
    const n = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return n;
  }

  string(): string {
    const start = this.#pos + 2;
    this.#pos = start + this.#view.getUint16(this.#pos, true);
    return this.#bytes.toString('utf8', start, this.#pos);
  }

  /**
   * A view into the received buffer, not a copy: SQLite copies a bound blob itself. A plain
   * Uint8Array (not a Buffer) is what the structured clone used to deliver; better-sqlite3
   * binds any ArrayBufferView.
   */
  view(): Uint8Array {
    const length = this.u32();
    const view = new Uint8Array(this.#buffer, this.#pos, length);
    this.#pos += length;
    return view;
  }

  /** A copy, for bytes the worker sends back: a clone of a view clones its whole buffer. */
  copy(): Uint8Array {
    const length = this.u32();
    const copy = new Uint8Array(this.#buffer.slice(this.#pos, this.#pos + length));
    this.#pos += length;
    return copy;
  }

  app(apps: readonly string[]): string {
    const index = this.u32();
    const appId = apps[index];
    if (appId === undefined) throw new Error(`sqlite store: packed batch names app ${index} of ${apps.length}`);
    return appId;
  }
}
