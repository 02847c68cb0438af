/**
 * Lists of variable length, in statements of few shapes. Fixed-shape statements are prepared
 * (`execute`, cached per connection, at most `maxPreparedStatements`); a list of any length
 * would prepare one statement per length. So lists are cut into chunks of power-of-two
 * sizes: an IN list is padded by repeating its last value, a multi-row INSERT is split (300
 * rows: 256 + 32 + 8 + 4; and at 4 MiB of values), which bounds the cache to a few shapes
 * per statement.
 */
import type { Param } from './link.js';
import { run, type Conn } from './conn.js';

const MAX_CHUNK = 256;

/**
 * Bytes of bound values per INSERT statement, well under max_allowed_packet (16 MiB by default
 * on MySQL 8 and MariaDB; 256 rows of 64 KiB payloads would pass it).
 */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** `values` in chunks of power-of-two sizes, each padded by repeating its last value (for IN lists). */
export function inLists<T>(values: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += MAX_CHUNK) {
    const chunk = values.slice(i, i + MAX_CHUNK);
    let size = 1;
    while (size < chunk.length) size *= 2;
    while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
    chunks.push(chunk);
  }
  return chunks;
}

/** `rows` split into runs of power-of-two lengths (for multi-row INSERTs, which cannot repeat rows). */
function insertRuns<T>(rows: readonly T[]): T[][] {
  const runs: T[][] = [];
  let i = 0;
  while (i < rows.length) {
    let size = MAX_CHUNK;
    while (size > rows.length - i) size /= 2;
    runs.push(rows.slice(i, i + size));
    i += size;
  }
  return runs;
}

/** `n` row tuples of `width` placeholders: "(?, ?), (?, ?)". */
export const marks = (n: number, width: number): string =>
  Array.from({ length: n }, () => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');

/** `n` placeholders: "?, ?, ?". */
export const list = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

const sizeOf = (row: readonly Param[]): number =>
  row.reduce<number>((n, v) => n + (Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 8), 0);

/** A multi-row INSERT: its `head` ("INSERT INTO t (a, b) VALUES") and the values per row. */
export interface MultiRowInsert {
  readonly head: string;
  readonly width: number;
}

/** `rows` (each `width` values) inserted in statements of few shapes. */
export async function insertMany(conn: Conn, { head, width }: MultiRowInsert, rows: readonly Param[][]): Promise<void> {
  let group: Param[][] = [];
  let bytes_ = 0;
  const flush = async (): Promise<void> => {
    for (const run_ of insertRuns(group)) await run(conn, `${head} ${marks(run_.length, width)}`, run_.flat());
    group = [];
    bytes_ = 0;
  };
  for (const row of rows) {
    const size = sizeOf(row);
    if (group.length > 0 && bytes_ + size > MAX_STATEMENT_BYTES) await flush();
    group.push(row);
    bytes_ += size;
  }
  await flush();
}
