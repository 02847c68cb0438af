/**
 * The MySQL driver's link to its server: the mysql2 pool, with what makes an outage a clean
 * ERR_UNAVAILABLE instead of a hang, a 500 or a spin.
 *
 * - Timeouts. A connection attempt gives up after `connectTimeout` ms, a statement after
 *   `queryTimeout` ms (a server that accepts but never answers). Both come from the store URL
 *   (`?connectTimeout=5000&queryTimeout=10000`, the defaults), so every node and `migrate`
 *   read the same ones. The statement bound is the link's own timer around the whole call, not
 *   mysql2's `timeout` option: that one starts only once the statement is the connection's
 *   current command and does not cover the PREPARE that precedes a statement's first execution
 *   on a connection (nor a command queued before it), so a server that stopped answering held
 *   such a call for as long as it stayed silent.
 * - Dead connections. A connection that failed at the socket level (mysql2 marks the error
 *   `fatal`) or whose statement timed out (its reply may still arrive and would be read as
 *   the next statement's) is destroyed, never pooled again: the pool opens a new one on demand.
 * - Backoff. After a connection-level failure every call fails at once with ERR_UNAVAILABLE
 *   for a delay that doubles from 100 ms up to 2 s and is reset by the next success; so a
 *   node whose database is gone does not open a connection per request (or per commit retry).
 * - Errors. Connection-level failures become SealPushError('ERR_UNAVAILABLE') (503 with
 *   Retry-After, WebSocket close 1001); SQL errors are left as they are.
 */
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import { SealPushError } from '../../../domain/errors.js';

export type Param = string | number | Buffer | null;

/** Defaults of the URL's timeout parameters, in milliseconds. */
export const MYSQL_TIMEOUTS = { connectTimeout: 5000, queryTimeout: 10_000 } as const;

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;

/** Client-side codes of a connection that is gone or never came (server errors carry an errno). */
const LINK_CODES = new Set([
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'POOL_CLOSED',
]);

/** Server errors that mean "not now", not "bad SQL": too many connections, shutting down. */
const LINK_ERRNOS = new Set([1040 /* ER_CON_COUNT_ERROR */, 1053 /* ER_SERVER_SHUTDOWN */, 2006, 2013]);

/** True for a failure of the link (the server is unreachable, gone or hung), not of the statement. */
export function isLinkError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { fatal?: boolean; code?: unknown; errno?: unknown };
  return e.fatal === true || (typeof e.code === 'string' && LINK_CODES.has(e.code)) || (typeof e.errno === 'number' && LINK_ERRNOS.has(e.errno));
}

const describe = (err: unknown): string => (typeof (err as { code?: unknown })?.code === 'string' ? String((err as { code: string }).code) : 'error');

function unavailable(cause: string): SealPushError {
  return new SealPushError('ERR_UNAVAILABLE', `The database cannot be reached (${cause}); nothing was changed, retry later`);
}

/** The URL's timeouts (ours removed, so mysql2 is not handed an option it does not know). */
export function linkSettings(url: string): { uri: string; connectTimeout: number; queryTimeout: number } {
  const parsed = new URL(url);
  const read = (name: keyof typeof MYSQL_TIMEOUTS): number => {
    const raw = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    if (raw === null) return MYSQL_TIMEOUTS[name];
    const ms = Number(raw);
    if (!Number.isSafeInteger(ms) || ms < 1) throw new Error(`mysql store: ${name} must be a positive number of milliseconds, got ${raw}`);
    return ms;
  };
  const connectTimeout = read('connectTimeout');
  const queryTimeout = read('queryTimeout');
  return { uri: parsed.href, connectTimeout, queryTimeout };
}

export class MysqlLink {
  readonly pool: Pool;
  readonly queryTimeout: number;
  #delayMs = 0;
  #closedUntil = 0;

  /** `options` as mysqlPoolOptions makes them; `queryTimeout` from linkSettings of the same URL. */
  constructor(options: PoolOptions, queryTimeout: number) {
    this.queryTimeout = queryTimeout;
    this.pool = createPool(options);
  }

  /** A connection of the pool; ERR_UNAVAILABLE at once while backing off, or if none can be had. */
  async connection(): Promise<PoolConnection> {
    if (Date.now() < this.#closedUntil) throw unavailable('backing off after a failure');
    try {
      return await this.pool.getConnection();
    } catch (err) {
      throw this.failed(err);
    }
  }

  /** Gives `conn` back to the pool, or destroys it if `err` says the link under it broke. */
  release(conn: PoolConnection, err?: unknown): void {
    if (err !== undefined && isLinkError(err)) conn.destroy();
    else conn.release();
  }

  /** Notes a success: the backoff starts over. */
  succeeded(): void {
    this.#delayMs = 0;
  }

  /** Notes a failure: a link failure starts or extends the backoff and comes back as ERR_UNAVAILABLE. */
  failed(err: unknown): unknown {
    if (!isLinkError(err)) return err;
    this.#delayMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.#delayMs * 2));
    this.#closedUntil = Date.now() + this.#delayMs;
    return unavailable(describe(err));
  }

  /** One statement on `conn`, prepared, within the query timeout. */
  async execute(conn: PoolConnection, sql: string, params: readonly Param[]): Promise<unknown> {
    const [result] = await this.#bounded(conn.execute(sql, params as Param[]));
    return result;
  }

  /** One statement on a connection of its own (no transaction). */
  async executeAlone(sql: string, params: readonly Param[]): Promise<unknown> {
    const conn = await this.connection();
    try {
      const result = await this.execute(conn, sql, params);
      this.release(conn);
      this.succeeded();
      return result;
    } catch (err) {
      this.release(conn, err);
      throw this.failed(err);
    }
  }

  /** A text-protocol statement on `conn` (transaction control), within the query timeout. */
  async command(conn: PoolConnection, sql: string): Promise<void> {
    await this.#bounded(conn.query(sql));
  }

  /**
   * `call`, or a PROTOCOL_SEQUENCE_TIMEOUT link error once `queryTimeout` passes without its
   * answer: the caller then destroys the connection (release), which ends the call too.
   */
  async #bounded<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${this.queryTimeout} ms`), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })), this.queryTimeout);
    });
    call.catch(() => undefined); // it rejects once the connection is destroyed, after the timeout won
    try {
      return await Promise.race([call, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
