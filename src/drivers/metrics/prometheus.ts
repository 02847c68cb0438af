/**
 * The Metrics port on prom-client (docs/metrics.md): one registry per node, with Node's default
 * metrics (event-loop lag, heap, GC, ...) beside sealpush's own. Gauges that are state (open
 * connections, the commit backlog) are read from the node when scraped, not kept in step.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../../domain/errors.js';
import type { Metrics } from '../../domain/ports/metrics.js';
import type { WebhookQueueStats } from '../../domain/ports/webhooks.js';
import type { WebhookMetrics } from '../../domain/usecases/webhook-sender.js';

export interface MetricSources {
  /** WebSocket connections held now (including ones still in their handshake). */
  connections(): number;
  /** Messages accepted and waiting for their commit. */
  queueDepth(): number;
}

/** The exposition a scrape gets: Prometheus text format. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Seconds: from a millisecond commit to a slow one. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class PrometheusMetrics implements Metrics, WebhookMetrics, MetricsExposition {
  private readonly registry = new Registry();
  private readonly handshakes: Counter<'result'>;
  private readonly publishedTotal: Counter;
  private readonly deliveredTotal: Counter;
  private readonly ackedTotal: Counter;
  private readonly expiredTotal: Counter;
  private readonly authFailures: Counter<'code'>;
  private readonly deliveryLatencySeconds: Histogram;
  private readonly commitLatencySeconds: Histogram;
  private readonly webhookEventsTotal: Counter<'outcome'>;
  private readonly webhookPending: Gauge;
  private readonly webhookFailed: Gauge;
  private readonly webhookQueueAge: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'sealpush_connections',
      help: 'WebSocket connections held by this node (including ones in their handshake)',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'sealpush_queue_depth',
      help: 'Messages accepted and waiting for their store commit (the commit queue backlog)',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    this.handshakes = new Counter({ name: 'sealpush_handshakes_total', help: 'WebSocket handshakes by result: ok, or the error code refusing them', labelNames: ['result'], registers });
    this.publishedTotal = new Counter({ name: 'sealpush_messages_published_total', help: 'Messages committed to the store', registers });
    this.deliveredTotal = new Counter({ name: 'sealpush_messages_delivered_total', help: 'Messages sent to a client connection', registers });
    this.ackedTotal = new Counter({ name: 'sealpush_messages_acked_total', help: 'Delivered messages a client acknowledged', registers });
    this.expiredTotal = new Counter({ name: 'sealpush_messages_expired_total', help: 'Messages the sweeper marked expired (TTL passed undelivered)', registers });
    this.authFailures = new Counter({ name: 'sealpush_auth_failures_total', help: 'REST requests refused by authentication, by code (ERR_AUTH_REPLAY: replays)', labelNames: ['code'], registers });
    this.deliveryLatencySeconds = new Histogram({
      name: 'sealpush_delivery_latency_seconds',
      help: 'Live delivery: from a message being accepted to its frame being sent',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.commitLatencySeconds = new Histogram({ name: 'sealpush_store_commit_seconds', help: 'Duration of one store commit (a batch of writes)', buckets: LATENCY_BUCKETS, registers });
    this.webhookEventsTotal = new Counter({
      name: 'sealpush_webhook_events_total',
      help: 'Webhook events by the outcome of an attempt: sent (2xx), retry (failed, tried again later), failed (out of time, kept for webhooks retry)',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookPending = new Gauge({ name: 'sealpush_webhook_pending', help: 'Webhook events waiting to be sent, every endpoint of the store', registers });
    this.webhookFailed = new Gauge({ name: 'sealpush_webhook_failed', help: 'Webhook events kept as failed (sealpush webhooks failed)', registers });
    this.webhookQueueAge = new Gauge({ name: 'sealpush_webhook_queue_age_seconds', help: 'Age of the oldest pending webhook event (0: none pending)', registers });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  handshake(result: 'ok' | ErrorCode): void {
    this.handshakes.inc({ result });
  }

  published(count: number): void {
    this.publishedTotal.inc(count);
  }

  delivered(count: number): void {
    this.deliveredTotal.inc(count);
  }

  deliveryLatency(seconds: number): void {
    this.deliveryLatencySeconds.observe(seconds);
  }

  acked(count: number): void {
    this.ackedTotal.inc(count);
  }

  expired(count: number): void {
    this.expiredTotal.inc(count);
  }

  commitLatency(seconds: number): void {
    this.commitLatencySeconds.observe(seconds);
  }

  authFailure(code: string): void {
    this.authFailures.inc({ code });
  }

  webhookEvents(outcome: 'sent' | 'retry' | 'failed', count: number): void {
    if (count > 0) this.webhookEventsTotal.inc({ outcome }, count);
  }

  webhookQueue(stats: WebhookQueueStats, now: number): void {
    this.webhookPending.set(stats.pending);
    this.webhookFailed.set(stats.failed);
    this.webhookQueueAge.set(stats.oldestAt === null ? 0 : Math.max(0, now - stats.oldestAt) / 1000);
  }
}
