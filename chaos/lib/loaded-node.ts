/**
 * One node under the crash loop's load (crash-loop/load.ts) while a scenario breaks something,
 * and the check of what it recorded: a webhook receiver for the app's `message.acked` events,
 * a data directory with an app and its endpoint, a ChaosNode, publishers and resuming clients.
 * `faults` runs while the load does; then the load stops, every client catches up, the history
 * is checked (crash-loop/history.ts) and `sealpush audit verify` runs over the chain.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { runCli } from '../../test/helpers/process.js';
import { tempDir } from '../../test/helpers/server.js';
import { WebhookReceiver, makeTestPki } from '../../test/helpers/webhook-receiver.js';
import { setUpWebhooks } from '../../test/helpers/webhook-node.js';
import { checkHistory, type Verdict } from '../crash-loop/history.js';
import { CrashLoad, type LoadOptions, type LoadReport } from '../crash-loop/load.js';
import { ChaosNode } from './node.js';

export interface LoadedRunOptions {
  /** `sqlite`, or the mysql:// URL of a fresh, empty database. */
  readonly store: 'sqlite' | string;
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  /** Time the clients and webhooks get to catch up once the load stops, ms. */
  readonly settleMs: number;
  /** More of the load's options (crash-loop/load.ts): answer recording, timeouts. */
  readonly load?: Pick<LoadOptions, 'onAnswer' | 'publishTimeoutMs'>;
}

export interface LoadedRunResult extends Verdict, LoadReport {
  readonly failedStarts: number;
  readonly acked: number;
  readonly webhookEvents: number;
  readonly drained: boolean;
  readonly auditVerified: boolean;
  /** Every promise the history is checked for held (the verdict, the drain, the audit, no refusal, all acked). */
  readonly held: boolean;
}

export async function runUnderLoad(options: LoadedRunOptions, faults: (node: ChaosNode, load: CrashLoad) => Promise<void>): Promise<LoadedRunResult> {
  const pki = makeTestPki();
  const receiver = new WebhookReceiver(pki);
  await receiver.start();
  const dataDir = tempDir();
  const mysql = options.store !== 'sqlite';
  try {
    const setup = await setUpWebhooks(dataDir, receiver.url, {
      env: {
        NODE_EXTRA_CA_CERTS: pki.caFile, SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1',
        ...(mysql ? { SEALPUSH_STORE: options.store, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex') } : {}),
      },
      config: {
        webhooks: { pollMs: 50, leaseSeconds: 2 },
        limits: { readsPerSecondPerApp: 100_000, registrationsPerSecondPerApp: 10_000, handshakesPerSecondPerIp: 100_000 },
      },
      addArgs: ['--events', 'acked', '--batch'],
    });
    receiver.trust(setup.endpoint.secret);
    const node = await ChaosNode.start(dataDir, setup.env);
    const load = new CrashLoad({
      url: node.url, appId: setup.app.appId, secret: setup.app.secret, serverKey: node.serverKey,
      clients: options.clients, batchClients: 4, paceMs: options.paceMs, churnMs: options.churnMs, ...options.load,
    });
    try {
      await load.start();
      await faults(node, load);
      await load.stop();
      const drained = await load.drained(Date.now() + options.settleMs);
      await load.close();
      const final = await load.finalStatuses(Date.now() + options.settleMs);
      const acked = new Set([...final].filter(([, status]) => status === 'acked').map(([id]) => id));
      const ackedWebhooks = await webhooksFor(receiver, acked, Date.now() + options.settleMs);
      const audit = await runCli(['--data', dataDir, 'audit', 'verify'], setup.env);
      const verdict = checkHistory({ accepted: load.accepted, received: load.received, statuses: load.statuses, ackedWebhooks, acked });
      await node.stop();
      return {
        ...verdict, ...load.report(verdict.backwards), failedStarts: node.failedStarts,
        acked: acked.size, webhookEvents: receiver.events().length, drained, auditVerified: audit.code === 0,
        held: verdict.ok && drained && audit.code === 0 && load.refusals.length === 0 && acked.size === verdict.accepted,
      };
    } finally {
      await node.stop().catch(() => undefined);
    }
  } finally {
    await receiver.stop();
    pki.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The acked messages' `message.acked` webhooks that arrived by `deadline` (all of them, if all did). */
async function webhooksFor(receiver: WebhookReceiver, acked: ReadonlySet<string>, deadline: number): Promise<Set<string>> {
  for (;;) {
    const reported = new Set(receiver.events().filter((e) => e.type === 'message.acked').map((e) => String(e.data.id)));
    if ([...acked].every((id) => reported.has(id)) || Date.now() > deadline) return reported;
    await pause(200);
  }
}
