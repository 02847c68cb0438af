/**
 * WebhookEndpoints and WebhookOutbox on MySQL (ports/webhooks.ts), as sqlite/webhooks.ts.
 * An endpoint's lease is taken by one conditional UPDATE (a lease that ran out, or the
 * owner's own), so two nodes never both hold one: InnoDB's row lock orders the two UPDATEs
 * and the second finds the condition false.
 */
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
import type { MysqlLink } from './link.js';
import { bytes, int, run, select, transaction } from './conn.js';
import { inLists, list } from './chunks.js';

const OF_APP = 'endpoint_id IN (SELECT id FROM webhook_endpoints WHERE app_id = ?)';

export function mysqlWebhooks(link: MysqlLink): WebhookEndpoints & WebhookOutbox {
  return {
    async addWebhookEndpoint(e) {
      await run(link, 'INSERT INTO webhook_endpoints (id, app_id, url, events, batch, wrapped_secret, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [e.id, e.appId, e.url, eventMask(e.events), e.batch ? 1 : 0, bytes(e.wrappedSecret), e.createdAt]);
    },

    async getWebhookEndpoint(id) {
      const [row] = await select<WebhookEndpointRow>(link, `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?`, [id]);
      return row === undefined ? undefined : toWebhookEndpoint(row);
    },

    async webhookEndpoints(appId) {
      const rows = await select<WebhookEndpointRow>(link, `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE app_id = ? ORDER BY no`, [appId]);
      return rows.map(toWebhookEndpoint);
    },

    async removeWebhookEndpoint(id) {
      return transaction(link, async (tx) => {
        await run(tx, 'DELETE FROM webhook_events WHERE endpoint_id = ?', [id]);
        return (await run(tx, 'DELETE FROM webhook_endpoints WHERE id = ?', [id])).affectedRows === 1;
      });
    },

    async rotateWebhookSecret(id, wrappedSecret, previousNotAfter) {
      // MySQL assigns left to right: the current secret moves before it is replaced.
      const { affectedRows } = await run(link,
        'UPDATE webhook_endpoints SET previous_wrapped_secret = wrapped_secret, previous_secret_not_after = ?, wrapped_secret = ? WHERE id = ?',
        [previousNotAfter, bytes(wrappedSecret), id]);
      return affectedRows === 1;
    },

    async claimWebhookEndpoints(owner, now, leaseUntil, limit) {
      await run(link,
        `UPDATE webhook_endpoints e SET e.lease_owner = ?, e.lease_until = ?
         WHERE e.paused_at IS NULL AND (e.lease_until <= ? OR e.lease_owner = ?)
           AND EXISTS (SELECT 1 FROM webhook_events v WHERE v.endpoint_id = e.id AND v.state = ${WEBHOOK_PENDING} AND v.next_at <= ?)
         ORDER BY e.lease_until, e.no LIMIT ${int(limit)}`,
        [owner, leaseUntil, now, owner, now]);
      const rows = await select<WebhookEndpointRow>(link,
        `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE lease_owner = ? AND lease_until = ? AND paused_at IS NULL ORDER BY no`,
        [owner, leaseUntil]);
      return rows.map(toWebhookEndpoint);
    },

    async releaseWebhookEndpoints(owner) {
      await run(link, 'UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?', [owner]);
    },

    async pendingWebhookEvents(endpointId, limit) {
      const rows = await select<WebhookEventRow>(link,
        `SELECT ${WEBHOOK_EVENT_COLUMNS} FROM webhook_events WHERE endpoint_id = ? AND state = ${WEBHOOK_PENDING} ORDER BY no LIMIT ${int(limit)}`,
        [endpointId]);
      return rows.map(toWebhookEvent);
    },

    async settleWebhookEvents(endpointId, settled) {
      await transaction(link, async (tx) => {
        for (const chunk of inLists(settled.sent)) {
          await run(tx, `DELETE FROM webhook_events WHERE endpoint_id = ? AND no IN (${list(chunk.length)})`, [endpointId, ...chunk]);
        }
        for (const r of settled.retries) {
          await run(tx, 'UPDATE webhook_events SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE no = ? AND endpoint_id = ?',
            [r.nextAt, r.lastError, r.no, endpointId]);
        }
        for (const r of settled.failed) {
          await run(tx,
            `UPDATE webhook_events SET attempts = attempts + 1, next_at = ?, last_error = ?, state = ${WEBHOOK_FAILED} WHERE no = ? AND endpoint_id = ?`,
            [r.nextAt, r.lastError, r.no, endpointId]);
        }
        await run(tx, 'UPDATE webhook_endpoints SET failing_since = ?, paused_at = ? WHERE id = ?', [settled.failingSince, settled.pausedAt, endpointId]);
      });
    },

    async failedWebhookEvents(appId, limit) {
      const rows = await select<WebhookEventRow>(link,
        `SELECT ${WEBHOOK_EVENT_COLUMNS} FROM webhook_events WHERE ${OF_APP} AND state = ${WEBHOOK_FAILED} ORDER BY no LIMIT ${int(limit)}`,
        [appId]);
      return rows.map(toWebhookEvent);
    },

    async requeueWebhookEvents(appId, endpointId, now) {
      return transaction(link, async (tx) => {
        const only = endpointId === undefined ? '' : ' AND endpoint_id = ?';
        const { affectedRows } = await run(tx,
          `UPDATE webhook_events SET state = ${WEBHOOK_PENDING}, attempts = 0, next_at = ?, retry_from = ? WHERE state = ${WEBHOOK_FAILED} AND ${OF_APP}${only}`,
          [now, now, appId, ...(endpointId === undefined ? [] : [endpointId])]);
        await run(tx, `UPDATE webhook_events SET next_at = ? WHERE state = ${WEBHOOK_PENDING} AND next_at > ? AND ${OF_APP}${only}`,
          [now, now, appId, ...(endpointId === undefined ? [] : [endpointId])]);
        await run(tx, `UPDATE webhook_endpoints SET paused_at = NULL, failing_since = NULL WHERE app_id = ?${endpointId === undefined ? '' : ' AND id = ?'}`,
          [appId, ...(endpointId === undefined ? [] : [endpointId])]);
        return affectedRows;
      });
    },

    async webhookQueueStats() {
      const [row] = await select<{ pending: number | null; failed: number | null; oldest: number | null }>(link,
        `SELECT SUM(state = ${WEBHOOK_PENDING}) AS pending, SUM(state = ${WEBHOOK_FAILED}) AS failed,
           MIN(CASE WHEN state = ${WEBHOOK_PENDING} THEN at END) AS oldest FROM webhook_events`);
      return {
        pending: Number(row?.pending ?? 0),
        failed: Number(row?.failed ?? 0),
        oldestAt: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
      };
    },

    async webhookAppSummaries() {
      return (await select<WebhookAppSummaryRow>(link, WEBHOOK_APP_SUMMARIES)).map(toWebhookAppSummary);
    },
  };
}
