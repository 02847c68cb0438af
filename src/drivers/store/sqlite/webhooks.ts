/**
 * WebhookEndpoints and WebhookOutbox on SQLite (ports/webhooks.ts). The outbox's rows are
 * written by the status changes themselves (webhook-events.ts); this file reads, leases and
 * settles them, and keeps the endpoints.
 */
import type Database from 'better-sqlite3';
import type { WebhookEndpoints, WebhookOutbox } from '../../../domain/ports/webhooks.js';
import { eventMask } from '../../../domain/webhooks.js';
import {
  WEBHOOK_APP_SUMMARIES,
  WEBHOOK_ENDPOINT_COLUMNS,
  WEBHOOK_EVENT_COLUMNS,
  WEBHOOK_FAILED,
  WEBHOOK_PENDING,
  toWebhookAppSummary,
  toWebhookEndpoint,
  toWebhookEvent,
  type WebhookAppSummaryRow,
  type WebhookEndpointRow,
  type WebhookEventRow,
} from '../shared/webhook-rows.js';

export function sqliteWebhooks(db: Database.Database): WebhookEndpoints & WebhookOutbox {
  const insert = db.prepare(
    `INSERT INTO webhook_endpoints (id, app_id, url, events, batch, wrapped_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = db.prepare(`SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?`);
  const ofApp = db.prepare(`SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE app_id = ? ORDER BY no`);
  const deleteEvents = db.prepare('DELETE FROM webhook_events WHERE endpoint_id = ?');
  const deleteEndpoint = db.prepare('DELETE FROM webhook_endpoints WHERE id = ?');
  const rotate = db.prepare(`UPDATE webhook_endpoints SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?,
    wrapped_secret = ? WHERE id = ?`);
  const claim = db.prepare(`UPDATE webhook_endpoints SET lease_owner = @owner, lease_until = @leaseUntil
    WHERE no IN (
      SELECT e.no FROM webhook_endpoints e
      WHERE e.paused_at IS NULL AND (e.lease_until <= @now OR e.lease_owner = @owner)
        AND EXISTS (SELECT 1 FROM webhook_events v WHERE v.endpoint_id = e.id AND v.state = ${WEBHOOK_PENDING} AND v.next_at <= @now)
      ORDER BY e.lease_until, e.no LIMIT @limit)
    RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`);
  const release = db.prepare('UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?');
  const pending = db.prepare(
    `SELECT ${WEBHOOK_EVENT_COLUMNS} FROM webhook_events WHERE endpoint_id = ? AND state = ${WEBHOOK_PENDING} ORDER BY no LIMIT ?`,
  );
  const sent = db.prepare('DELETE FROM webhook_events WHERE no = ? AND endpoint_id = ?');
  const retry = db.prepare('UPDATE webhook_events SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE no = ? AND endpoint_id = ?');
  const fail = db.prepare(
    `UPDATE webhook_events SET attempts = attempts + 1, next_at = ?, last_error = ?, state = ${WEBHOOK_FAILED} WHERE no = ? AND endpoint_id = ?`,
  );
  const endpointState = db.prepare('UPDATE webhook_endpoints SET failing_since = ?, paused_at = ? WHERE id = ?');
  const failed = db.prepare(`SELECT ${WEBHOOK_EVENT_COLUMNS} FROM webhook_events
    WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = ?) AND state = ${WEBHOOK_FAILED} ORDER BY no LIMIT ?`);
  const requeue = db.prepare(`UPDATE webhook_events SET state = ${WEBHOOK_PENDING}, attempts = 0, next_at = @now, retry_from = @now
    WHERE state = ${WEBHOOK_FAILED}
      AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = @appId AND (@endpointId IS NULL OR id = @endpointId))`);
  const resume = db.prepare(`UPDATE webhook_endpoints SET paused_at = NULL, failing_since = NULL
    WHERE app_id = @appId AND (@endpointId IS NULL OR id = @endpointId)`);
  const dueNow = db.prepare(`UPDATE webhook_events SET next_at = @now WHERE state = ${WEBHOOK_PENDING} AND next_at > @now
    AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = @appId AND (@endpointId IS NULL OR id = @endpointId))`);
  const stats = db.prepare(`SELECT
      COALESCE(SUM(state = ${WEBHOOK_PENDING}), 0) AS pending,
      COALESCE(SUM(state = ${WEBHOOK_FAILED}), 0) AS failed,
      MIN(CASE WHEN state = ${WEBHOOK_PENDING} THEN at END) AS oldest
    FROM webhook_events`);

  const summaries = db.prepare(WEBHOOK_APP_SUMMARIES);

  const remove = db.transaction((id: string) => {
    deleteEvents.run(id);
    return deleteEndpoint.run(id).changes === 1;
  });
  const settle = db.transaction((endpointId: string, s: Parameters<WebhookOutbox['settleWebhookEvents']>[1]) => {
    for (const no of s.sent) sent.run(no, endpointId);
    for (const r of s.retries) retry.run(r.nextAt, r.lastError, r.no, endpointId);
    for (const r of s.failed) fail.run(r.nextAt, r.lastError, r.no, endpointId);
    endpointState.run(s.failingSince, s.pausedAt, endpointId);
  });
  const requeueAll = db.transaction((params: { appId: string; endpointId: string | null; now: number }) => {
    const { changes } = requeue.run(params);
    dueNow.run(params);
    resume.run(params);
    return changes;
  });

  return {
    async addWebhookEndpoint(e) {
      insert.run(e.id, e.appId, e.url, eventMask(e.events), e.batch ? 1 : 0, e.wrappedSecret, e.createdAt);
    },
    async getWebhookEndpoint(id) {
      const row = byId.get(id) as WebhookEndpointRow | undefined;
      return row === undefined ? undefined : toWebhookEndpoint(row);
    },
    async webhookEndpoints(appId) {
      return (ofApp.all(appId) as WebhookEndpointRow[]).map(toWebhookEndpoint);
    },
    async removeWebhookEndpoint(id) {
      return remove.immediate(id);
    },
    async rotateWebhookSecret(id, wrappedSecret, previousNotAfter) {
      return rotate.run(previousNotAfter, wrappedSecret, id).changes === 1;
    },
    async claimWebhookEndpoints(owner, now, leaseUntil, limit) {
      return (claim.all({ owner, now, leaseUntil, limit }) as WebhookEndpointRow[]).map(toWebhookEndpoint);
    },
    async releaseWebhookEndpoints(owner) {
      release.run(owner);
    },
    async pendingWebhookEvents(endpointId, limit) {
      return (pending.all(endpointId, limit) as WebhookEventRow[]).map(toWebhookEvent);
    },
    async settleWebhookEvents(endpointId, settled) {
      settle.immediate(endpointId, settled);
    },
    async failedWebhookEvents(appId, limit) {
      return (failed.all(appId, limit) as WebhookEventRow[]).map(toWebhookEvent);
    },
    async requeueWebhookEvents(appId, endpointId, now) {
      return requeueAll.immediate({ appId, endpointId: endpointId ?? null, now });
    },
    async webhookQueueStats() {
      const row = stats.get() as { pending: number; failed: number; oldest: number | null };
      return { pending: Number(row.pending), failed: Number(row.failed), oldestAt: row.oldest === null ? null : Number(row.oldest) };
    },
    async webhookAppSummaries() {
      return (summaries.all() as WebhookAppSummaryRow[]).map(toWebhookAppSummary);
    },
  };
}
