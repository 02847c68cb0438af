/**
 * Scenario 9, webhooks: what a webhook event costs the node (docs/webhooks.md), in-process on
 * the threaded SQLite store a node runs (durability full).
 *
 * 1. The outbox: acks of C clients' messages committed with an endpoint subscribed to acked
 *    events against the same acks with none: the store's extra CPU per acked message.
 * 2. Sending: the WebhookSender draining those events with the real undici transport to an
 *    HTTPS receiver in another process, one event per request against batched requests (up
 *    to 100): this process's CPU (both threads: the sender, its settles in the store) per
 *    event, and events per second.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ThreadedSqliteStore } from '../../src/drivers/store/sqlite/thread.js';
import { WebhookSender } from '../../src/domain/usecases/webhook-sender.js';
import { undiciWebhookTransport } from '../../src/drivers/webhooks/undici.js';
import type { Kms } from '../../src/domain/ports/kms.js';
import type { Logger } from '../../src/domain/ports/runtime.js';
import type { WebhookEventType } from '../../src/domain/webhooks.js';
import { nowUs } from '../lib/clock.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
/** The secrets are not what is measured: stored as they are. */
const plainKms: Kms = { wrap: async (x) => x, unwrap: async (x) => x };
const APP = 'app_bench';

function sizes(options: BenchOptions): { clients: number; perClient: number } {
  const clients = options.clients ?? (options.quick ? 200 : 1000);
  return { clients, perClient: options.quick ? 5 : 10 };
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** A store with `clients` clients holding `perClient` messages each, and an endpoint when `events` says. */
async function seeded(dir: string, clients: number, perClient: number, endpoint?: { url: string; batch: boolean }): Promise<ThreadedSqliteStore> {
  const store = await ThreadedSqliteStore.open({ path: join(dir, `store-${randomBytes(4).toString('hex')}.db`), durability: 'full' });
  const at = Date.now();
  await store.createApp({ id: APP, name: 'bench', wrappedSecret: new Uint8Array(60), createdAt: at, delivery: { mode: 'direct' } });
  if (endpoint !== undefined) {
    const events: WebhookEventType[] = ['message.acked'];
    await store.addWebhookEndpoint({
      id: 'whep_bench', appId: APP, url: endpoint.url, events, batch: endpoint.batch, wrappedSecret: new Uint8Array(randomBytes(32)),
      previousWrappedSecret: null, previousSecretNotAfter: null, createdAt: at, pausedAt: null, failingSince: null,
    });
  }
  const ids = Array.from({ length: clients }, (_, i) => `client${i}`);
  const key = () => new Uint8Array(randomBytes(32));
  await store.commit({ clients: ids.map((id) => ({ id, appId: APP, staticKey: key(), keySalt: key(), createdAt: at })), messages: [], delivered: [], acked: [], seen: [], at });
  const payload = new Uint8Array(300);
  for (let k = 0; k < perClient; k++) {
    const messages = ids.map((clientId, i) => ({ appId: APP, id: `m${k}-${i}`, clientId, payload, createdAt: at, expiresAt: at + 86_400_000 }));
    await store.commit({ clients: [], messages, delivered: [], acked: [], seen: [], at });
  }
  return store;
}

/** Acks every message, one mark per client per commit (as ACKs arrive at low per-client rates): CPU per acked message. */
async function ackAll(store: ThreadedSqliteStore, clients: number, perClient: number): Promise<number> {
  const cpu0 = cpuUs();
  for (let seq = 1; seq <= perClient; seq++) {
    const acked = Array.from({ length: clients }, (_, i) => ({ clientId: `client${i}`, uptoSeq: seq }));
    await store.commit({ clients: [], messages: [], delivered: [], acked, seen: [], at: Date.now() });
  }
  return (cpuUs() - cpu0) / (clients * perClient);
}

interface Receiver {
  readonly url: string;
  readonly ca: string;
  stop(): Promise<void>;
}

async function startReceiver(dir: string): Promise<Receiver> {
  const at = (name: string): string => join(dir, name);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', at('key.pem'), '-out', at('cert.pem')], { stdio: 'ignore' });
  const script = fileURLToPath(new URL('../load/webhook-receiver.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, at('cert.pem'), at('key.pem')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const found = /port (\d+)/.exec(chunk.toString());
      if (found) resolve(Number(found[1]));
    });
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${code}`)));
  });
  return {
    url: `https://127.0.0.1:${port}/hooks`,
    ca: readFileSync(at('cert.pem'), 'utf8'),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Drains the outbox of `store` through a sender: CPU per event and events per second. */
async function drain(store: ThreadedSqliteStore, receiver: Receiver, events: number, onProgress: (f: number) => void): Promise<Measurement> {
  const transport = undiciWebhookTransport({ allowPrivate: true, ca: receiver.ca });
  const sender = new WebhookSender({ store, kms: plainKms, transport, clock: { now: () => Date.now() }, logger: silent }, {
    owner: 'bench', pollMs: 10, leaseMs: 60_000, retryPeriodMs: 86_400_000, pauseAfterMs: 86_400_000, maxBatch: 100, concurrency: 8, endpointsPerRound: 16,
  });
  try {
    const cpu0 = cpuUs();
    const start = nowUs();
    // A tick that sent nothing found nothing due: with no failures, the outbox is empty.
    for (let rounds = 1; await sender.tick(); rounds++) onProgress(Math.min(1, (rounds * 100) / events));
    const seconds = (nowUs() - start) / 1e6;
    const cpu = cpuUs() - cpu0;
    const { pending } = await store.webhookQueueStats();
    if (pending !== 0) throw new Error(`webhooks: ${pending} events left unsent`);
    return { cpuUsPerEvent: cpu / events, eventsPerSec: events / seconds };
  } finally {
    await transport.close();
  }
}

export const webhooks: Scenario = {
  name: 'webhooks',
  summary: 'the price of a webhook event: the outbox row in the ack commit, and sending it (one per request, or batched) to an HTTPS receiver',
  units: (options) => options.reps * 5,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { clients, perClient } = sizes(options);
    const events = clients * perClient;
    const outbox: Record<string, Measurement[]> = { webhooks: [], none: [] };
    const sending: Record<string, Measurement[]> = { batch: [], single: [] };
    const dir = mkdtempSync(join(tmpdir(), 'sealpush-bench-webhooks-'));
    const receiver = await startReceiver(dir);
    try {
      for (let rep = 0; rep < options.reps; rep++) {
        for (const system of ['none', 'single', 'batch'] as const) {
          progress.begin(`webhooks ${events} acks, ${system} rep ${rep + 1}/${options.reps}`);
          const store = await seeded(dir, clients, perClient, system === 'none' ? undefined : { url: receiver.url, batch: system === 'batch' });
          try {
            const ackCpu = await ackAll(store, clients, perClient);
            if (system !== 'batch') outbox[system === 'none' ? 'none' : 'webhooks']!.push({ cpuUsPerAck: ackCpu });
            if (system !== 'none') {
              progress.end();
              progress.begin(`webhooks: sending ${events} events, ${system} rep ${rep + 1}/${options.reps}`);
              sending[system]!.push(await drain(store, receiver, events, (f) => progress.update(f)));
            }
          } finally {
            await store.close();
          }
          progress.end();
        }
      }
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const params = { clients, messagesPerClient: perClient, events };
    return [
      {
        scenario: 'webhooks',
        case: `acks of ${events} messages, ${clients} marks per commit: outbox rows`,
        subject: 'webhooks',
        baselines: ['none'],
        metrics: [{ key: 'cpuUsPerAck', label: 'store CPU per acked message', unit: 'µs', better: 'lower' }],
        runs: outbox,
        params,
      },
      {
        scenario: 'webhooks',
        case: `sending ${events} acked events to an HTTPS receiver`,
        subject: 'batch',
        baselines: ['single'],
        metrics: [
          { key: 'cpuUsPerEvent', label: 'CPU per event (sender and store)', unit: 'µs', better: 'lower' },
          { key: 'eventsPerSec', label: 'events/s', unit: '/s', better: 'higher' },
        ],
        runs: sending,
        params,
      },
    ];
  },
};
