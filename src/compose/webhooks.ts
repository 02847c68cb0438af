/**
 * The composition of the webhook sender (docs/webhooks.md): the outbox on the store, the undici
 * transport, and the receipts acked events carry for apps with receipts on.
 */
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config.js';
import type { Kms } from '../domain/ports/kms.js';
import type { Clock } from '../domain/ports/runtime.js';
import type { Store } from '../domain/ports/store.js';
import type { Publisher } from '../domain/usecases/publisher.js';
import { WebhookSender, type WebhookMetrics } from '../domain/usecases/webhook-sender.js';
import { undiciWebhookTransport } from '../drivers/webhooks/undici.js';
import { receiptView } from '../transport/http/routes/messages.js';

export interface WebhookDeps {
  readonly config: Config;
  readonly store: Store;
  readonly kms: Kms;
  readonly clock: Clock;
  readonly logger: PinoLogger;
  readonly nodeId: string;
  readonly publisher: Pick<Publisher, 'receiptOf'>;
  readonly metrics: WebhookMetrics;
}

/** Starts this node's sender, unless `webhooks.enabled` is off; returns its stop. */
export function startWebhooks(deps: WebhookDeps): () => Promise<void> {
  const { config, store, kms, clock, logger, nodeId, publisher, metrics } = deps;
  const options = config.webhooks;
  if (!options.enabled) return async () => {};
  const transport = undiciWebhookTransport({ allowPrivate: options.allowPrivate, timeoutMs: options.timeoutMs });
  const sender = new WebhookSender(
    {
      store,
      kms,
      transport,
      clock,
      logger: logger.child({ part: 'webhooks' }),
      metrics,
      // A receipt purged with its message, or never signed, is simply left out.
      receiptOf: async (appId, messageId) => {
        try {
          return receiptView(await publisher.receiptOf(appId, messageId));
        } catch {
          return undefined;
        }
      },
    },
    {
      owner: nodeId,
      pollMs: options.pollMs,
      leaseMs: options.leaseSeconds * 1000,
      retryPeriodMs: options.retryPeriodSeconds * 1000,
      pauseAfterMs: options.pauseAfterSeconds * 1000,
      maxBatch: options.maxBatch,
      concurrency: options.concurrency,
      endpointsPerRound: 16,
    },
  );
  sender.start();
  return async () => {
    await sender.stop();
    await transport.close();
  };
}
