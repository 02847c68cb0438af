import type { WebhookEventFields, WebhookEventType } from '../webhooks.js';

/** An app's webhook endpoint as stored: its signing secret wrapped by the KMS, never in the clear. */
export interface StoredWebhookEndpoint {
  readonly id: string;
  readonly appId: string;
  /** An https URL (docs/webhooks.md, "Safety"). */
  readonly url: string;
  /** The event types it receives, in catalogue order (WEBHOOK_EVENT_TYPES). */
  readonly events: readonly WebhookEventType[];
  /** Whether one request may carry several events (`{"type": "batch", ...}`). */
  readonly batch: boolean;
  readonly wrappedSecret: Uint8Array;
  /** The secret `rotate-secret` replaced, and until when (ms) it still signs alongside; null: none. */
  readonly previousWrappedSecret: Uint8Array | null;
  readonly previousSecretNotAfter: number | null;
  readonly createdAt: number;
  /** When it was paused (it kept failing), ms; null while it runs. */
  readonly pausedAt: number | null;
  /** When its current run of failures began, ms; null after a success. */
  readonly failingSince: number | null;
}

/**
 * One event of the outbox, for one endpoint: what a status change of a message reports. The
 * store writes it in the transaction of the change itself (MessageLog.commit for delivered
 * and acked, expireMessages for expired), so it exists exactly when the change committed.
 */
export interface WebhookEvent extends WebhookEventFields {
  /** Orders the outbox: a later status change of a client has a higher `no`. */
  readonly no: number;
  /** The `webhook-id`: stable across retries, unique per event and endpoint. */
  readonly id: string;
  readonly endpointId: string;
  readonly appId: string;
  /** Attempts made so far. */
  readonly attempts: number;
  /** When the next attempt is due, ms. */
  readonly nextAt: number;
  /** Why the last attempt failed: a status code or an error class, never a body. Null: none yet. */
  readonly lastError: string | null;
  /** Where its retry period starts, ms: the change (`at`), or the last `requeueWebhookEvents`. */
  readonly retryFrom: number;
}

/** A failed attempt's bookkeeping for one event. */
export interface WebhookRetry {
  readonly no: number;
  readonly nextAt: number;
  readonly lastError: string;
}

/** Outbox figures for metrics: pending events and the age of the oldest. */
export interface WebhookQueueStats {
  readonly pending: number;
  readonly failed: number;
  /** When the oldest pending event's change committed (its `at`), ms; null when none is pending. */
  readonly oldestAt: number | null;
}

/** One app's endpoints as the operator's dashboard counts them. */
export interface WebhookAppSummary {
  readonly appId: string;
  readonly endpoints: number;
  /** Endpoints whose last attempts failed, not paused. */
  readonly failing: number;
  readonly paused: number;
  /** Events kept as failed (`webhooks failed`). */
  readonly failedEvents: number;
}

/**
 * Webhook endpoints and their durable outbox (docs/webhooks.md).
 *
 * Contract for every driver (test/conformance/webhooks.suite.ts):
 * - Endpoint writes are one transaction each; a write naming no endpoint writes nothing and
 *   says so (false or undefined). Removing an endpoint removes its events.
 * - The outbox is filled by the store itself, in the transaction of the status change (see
 *   MessageLog and WebhookEvent): one event per message, change and subscribed endpoint, in
 *   commit order; a message acked without a delivered change of its own (queued -> acked)
 *   gets its delivered event first. Changes of an app with no subscribed endpoint cost no row.
 * - An endpoint is sent by one node at a time: `claimWebhookEndpoints` leases it to `owner`
 *   until `leaseUntil`, and only a lease that ran out (or is the owner's own) can be taken.
 *   A node that died holding one loses nothing: its events are still pending after the lease.
 * - Pending events come back in `no` order; `failed` ones only through failedWebhookEvents,
 *   until requeueWebhookEvents makes them pending again.
 */
export interface WebhookEndpoints {
  addWebhookEndpoint(endpoint: StoredWebhookEndpoint): Promise<void>;
  getWebhookEndpoint(id: string): Promise<StoredWebhookEndpoint | undefined>;
  /** An app's endpoints, oldest first. */
  webhookEndpoints(appId: string): Promise<StoredWebhookEndpoint[]>;
  /** Deletes it and its events; false when there is no such endpoint. */
  removeWebhookEndpoint(id: string): Promise<boolean>;
  /**
   * Makes `wrappedSecret` the endpoint's secret, its current one the previous, signing
   * alongside while now < previousNotAfter; false when there is no such endpoint.
   */
  rotateWebhookSecret(id: string, wrappedSecret: Uint8Array, previousNotAfter: number): Promise<boolean>;
}

export interface WebhookOutbox {
  /**
   * Leases to `owner`, until `leaseUntil`, up to `limit` running (not paused) endpoints that
   * have an event due at `now` and whose lease is free or already `owner`'s; returns them.
   */
  claimWebhookEndpoints(owner: string, now: number, leaseUntil: number, limit: number): Promise<StoredWebhookEndpoint[]>;
  /** Gives the leases of `owner` back (a node that stops). */
  releaseWebhookEndpoints(owner: string): Promise<void>;
  /** The endpoint's first `limit` pending events in `no` order, due or not. */
  pendingWebhookEvents(endpointId: string, limit: number): Promise<WebhookEvent[]>;
  /**
   * After one round of sends of an endpoint, in one transaction: deletes the events sent,
   * reschedules the retries, marks `failed` those that ran out of time, and records the
   * endpoint's state (failingSince, pausedAt; null clears).
   */
  settleWebhookEvents(endpointId: string, settled: {
    readonly sent: readonly number[];
    readonly retries: readonly WebhookRetry[];
    readonly failed: readonly WebhookRetry[];
    readonly failingSince: number | null;
    readonly pausedAt: number | null;
  }): Promise<void>;
  /** An app's failed events, oldest first (at most `limit`). */
  failedWebhookEvents(appId: string, limit: number): Promise<WebhookEvent[]>;
  /**
   * Makes an app's failed events (of one endpoint, if given) pending again, due at `now` with
   * their attempts reset and their retry period starting at `now`; resumes those endpoints and
   * makes their pending events due at `now` too (an operator who resumes an endpoint wants it
   * sent now); returns how many failed events.
   */
  requeueWebhookEvents(appId: string, endpointId: string | undefined, now: number): Promise<number>;
  webhookQueueStats(): Promise<WebhookQueueStats>;
  /** Every app with an endpoint, counted (one query); apps without endpoints are left out. */
  webhookAppSummaries(): Promise<WebhookAppSummary[]>;
}
