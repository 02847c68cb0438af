/**
 * The `webhooks` section of the configuration (docs/configuration.md, docs/webhooks.md): how
 * this node sends the webhook outbox. The same on every node, except `enabled`.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const webhooksSchema = z
  .object({
    /** Whether this node sends webhooks at all; with several nodes, any number may (one sends each endpoint at a time). */
    enabled: z.boolean().default(true),
    /**
     * Send to loopback, private and link-local addresses too (SEALPUSH_WEBHOOK_ALLOW_PRIVATE=1):
     * for a receiver on the same machine or network. Off by default, so that whoever can add an
     * endpoint cannot make the node reach inside its network. Checked on the address each
     * connection resolves to, when it is made.
     */
    allowPrivate: z.boolean().default(false),
    /** How long an event is retried after its change, before it is kept as failed. Default 3 days. */
    retryPeriodSeconds: positiveInt.default(3 * 86_400),
    /** How long an endpoint fails without a single success before it is paused. Default 3 days. */
    pauseAfterSeconds: positiveInt.default(3 * 86_400),
    /** Bound on connecting, on the answer's headers and on its body, each. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Time between two looks at the outbox when it had nothing due. */
    pollMs: z.number().int().min(10).max(60_000).default(250),
    /** How long a node holds an endpoint it sends; another node takes it over after this when the node died. */
    leaseSeconds: z.number().int().min(1).max(3600).default(30),
    /** Most events in one request of an endpoint added with `--batch`. */
    maxBatch: z.number().int().min(1).max(1000).default(100),
    /** Clients whose events are sent side by side per endpoint (each client's in order). */
    concurrency: z.number().int().min(1).max(64).default(8),
  })
  .strict()
  .default({});

export const WEBHOOK_ALLOW_PRIVATE_ENV = 'SEALPUSH_WEBHOOK_ALLOW_PRIVATE';
