/**
 * Crash loop (issue 18, scenario 1): a node under load from publishers, resuming SDK clients
 * and a webhook receiver is killed with SIGKILL at random moments, `kills` times, and started
 * again on the same port and data each time. Then the load stops, every client catches up,
 * and the recorded history is checked (history.ts): nothing accepted lost, nothing delivered
 * twice or out of order, no status going back, a `message.acked` webhook for every acked
 * message, and `sealpush audit verify` passing over everything the dead processes wrote.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { runCli } from '../../test/helpers/process.js';
import { tempDir } from '../../test/helpers/server.js';
import { WebhookReceiver, makeTestPki } from '../../test/helpers/webhook-receiver.js';
import { setUpWebhooks } from '../../test/helpers/webhook-node.js';
import { ChaosNode } from '../lib/node.js';
import { checkHistory, type Verdict } from './history.js';
import { CrashLoad, type LoadReport } from './load.js';

export interface CrashLoopOptions {
  /** `sqlite`, or the mysql:// URL of a fresh, empty database. */
  readonly store: 'sqlite' | string;
  readonly kills: number;
  /** Time between two kills: uniform in [min, max], ms. */
  readonly minGapMs: number;
  readonly maxGapMs: number;
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  /** Time the clients and webhooks get to catch up once the load stops, ms. */
  readonly settleMs: number;
  /** Called after each kill-and-restart with how many were done. */
  readonly onKill?: (done: number, published: number) => void;
}

export interface CrashLoopResult extends Verdict, LoadReport {
  readonly store: 'sqlite' | 'mysql';
  readonly kills: number;
  readonly failedStarts: number;
  readonly acked: number;
  readonly webhookEvents: number;
  readonly drained: boolean;
  readonly auditVerified: boolean;
  readonly seconds: number;
  readonly passed: boolean;
}


export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const started = Date.now();
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
      clients: options.clients, batchClients: 4, paceMs: options.paceMs, churnMs: options.churnMs,
    });
    try {
      await load.start();
      for (let done = 1; done <= options.kills; done++) {
        await pause(options.minGapMs + Math.random() * (options.maxGapMs - options.minGapMs));
        await node.kill();
        await node.restart();
        options.onKill?.(done, load.publishedCount);
      }
      await pause(options.minGapMs); // a last stretch of load on a node that stays up
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
        ...verdict, ...load.report(verdict.backwards), store: mysql ? 'mysql' : 'sqlite', kills: options.kills, failedStarts: node.failedStarts,
        acked: acked.size, webhookEvents: receiver.events().length, drained, auditVerified: audit.code === 0, seconds: (Date.now() - started) / 1000,
        passed: verdict.ok && drained && audit.code === 0 && load.refusals.length === 0 && acked.size === verdict.accepted,
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
