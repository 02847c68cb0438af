/**
 * How the MySQL driver's role files reach the database. A `Conn` is the link (each statement
 * on a pooled connection of its own) or a transaction's connection; `transaction` runs a
 * function in one and retries it when InnoDB asks for that. Every statement's parameters go
 * through the conversions below, so mysql2 gets the types it binds as intended.
 */
import type { PoolConnection } from 'mysql2/promise';
import { MysqlLink, isLinkError, type Param } from './link.js';

export const ER_DUP_ENTRY = 1062;
const RETRYABLE = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);
const MAX_ATTEMPTS = 5;

/** A connection inside a transaction (`transaction`), with the link whose timeouts it runs under. */
export interface Tx {
  readonly link: MysqlLink;
  readonly conn: PoolConnection;
}

/** The link (each statement on a pooled connection of its own) or a transaction's connection. */
export type Conn = MysqlLink | Tx;

export const statement = (conn: Conn, sql: string, params: readonly Param[]): Promise<unknown> =>
  conn instanceof MysqlLink ? conn.executeAlone(sql, params) : conn.link.execute(conn.conn, sql, params);

export async function select<T>(conn: Conn, sql: string, params: readonly Param[] = []): Promise<T[]> {
  return (await statement(conn, sql, params)) as T[];
}

export async function run(conn: Conn, sql: string, params: readonly Param[] = []): Promise<{ affectedRows: number; insertId: number }> {
  return (await statement(conn, sql, params)) as { affectedRows: number; insertId: number };
}

/**
 * Runs `fn` in one transaction; retried from the start on a deadlock or lock-wait timeout.
 * A lost or hung connection is not retried: it rejects with ERR_UNAVAILABLE (mysql/link.ts),
 * so the CommitQueue refuses the publishes of the batch. If the COMMIT itself was lost on
 * the way back, the transaction may have committed: the publisher's retry with the same
 * message ids then reads as a duplicate, never as a second copy.
 */
export async function transaction<T>(link: MysqlLink, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const conn = await link.connection();
    let failure: unknown;
    try {
      await link.command(conn, 'START TRANSACTION');
      const result = await fn({ link, conn });
      await link.command(conn, 'COMMIT');
      link.succeeded();
      return result;
    } catch (err) {
      failure = err;
      // A broken connection is dropped, not pooled (release below): the server rolls back.
      if (!isLinkError(err)) await link.command(conn, 'ROLLBACK').catch(() => undefined);
      const retry = RETRYABLE.has(errno(err) ?? 0) || (err as { retryCommit?: boolean }).retryCommit === true;
      if (!retry || attempt >= MAX_ATTEMPTS) throw link.failed(err);
    } finally {
      link.release(conn, failure);
    }
  }
}

/** One INSERT; false when its key is taken already (the ports' "added once" booleans). */
export async function insertUnlessTaken(conn: Conn, sql: string, params: readonly Param[]): Promise<boolean> {
  try {
    await run(conn, sql, params);
    return true;
  } catch (err) {
    if (errno(err) === ER_DUP_ENTRY) return false;
    throw err;
  }
}

export function errno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err ? (err as { errno: number }).errno : undefined;
}

/** mysql2 sends a Buffer as bytes; a plain Uint8Array it would not. */
export function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function bytesOrNull(value: Uint8Array | null | undefined): Buffer | null {
  return value == null ? null : bytes(value);
}

/** A LIMIT's count, inlined in the text: MySQL 8 refuses a DOUBLE parameter there. */
export function int(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`mysql store: ${n} is not a whole number`);
  return n;
}
