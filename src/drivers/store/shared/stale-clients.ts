/**
 * The retention pass's SQL (ClientRegistry.staleClients, and forgetClient's `staleBefore`
 * guard), the same on SQLite and MySQL: a client is stale when its last connection
 * (last_seen_at; created_at if it was never marked seen) is before the cutoff and it holds no
 * message at all, in any status. The message check is one probe of the (client_no, seq) key.
 *
 * There is no index on last_seen_at (every connection's last-seen mark would pay for one):
 * the listing walks the clients table until its LIMIT, which is why the retention pass runs
 * it rarely (domain/usecases/retention.ts). The caller appends the LIMIT's value (a bound
 * parameter on SQLite, an inlined integer on MySQL).
 */
const STALE = 'COALESCE(c.last_seen_at, c.created_at) < ? AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.client_no = c.no)';

/** Parameters: the cutoff; then the LIMIT's value follows the text. */
export const STALE_CLIENTS_SQL = `SELECT c.id FROM clients c WHERE ${STALE} LIMIT`;

/**
 * One row when the client is still stale; parameters: its id, the cutoff. Run inside the
 * forget's transaction, after the client row is locked: a publish locks that row too (to
 * assign a seq), so no message can arrive between this check and the delete.
 */
export const STILL_STALE_SQL = `SELECT 1 AS stale FROM clients c WHERE c.id = ? AND ${STALE}`;
