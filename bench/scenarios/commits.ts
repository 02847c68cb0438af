/**
 * Scenario 8, commits: single publishes, the common case (one result per finished job),
 * paced at 2,000/s through the CommitQueue over the threaded SQLite store that a node runs
 * (durability full), with the node's commit spacing (`commitIntervalMs`, 2 ms) against none,
 * in the same run. In-process, no HTTP and no sockets: it isolates what group commit changes,
 * CPU per message on both threads (mostly the store's: each commit is a transaction and an
 * fsync), messages per commit and how long a publish waits for its commit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThreadedSqliteStore } from '../../src/drivers/store/sqlite/thread.js';
import { CommitQueue } from '../../src/domain/usecases/commit-queue.js';
import type { Logger } from '../../src/domain/ports/runtime.js';
import type { WriteBatch } from '../../src/domain/ports/message-log.js';
import { nowUs } from '../lib/clock.js';
import { percentileSorted } from '../lib/stats.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

const RATE = 2000;
const SPACED_MS = 2;
const CLIENTS = 1000;
const SEALED_BYTES = 1 + 24 + 256 + 16;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

function durationMs(options: BenchOptions): number {
  if (options.messages !== undefined) return Math.max(250, Math.min(10_000, (options.messages / RATE) * 1000));
  return options.quick ? 1000 : 5000;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** `intervalMs` of spacing (0: none); publishes due each ms are queued in the same turn. */
async function runPaced(intervalMs: number, duration: number, onProgress: (f: number) => void): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpush-bench-commits-'));
  const store = await ThreadedSqliteStore.open({ path: join(dir, 'sealpush.db'), durability: 'full' });
  try {
    const appId = 'app_bench';
    const now = Date.now();
    await store.createApp({ id: appId, name: 'bench', wrappedSecret: new Uint8Array(60), createdAt: now, delivery: { mode: 'direct' } });
    const clients = Array.from({ length: CLIENTS }, (_, i) => `client${i}`);
    const keys = () => new Uint8Array(randomBytes(32));
    await store.commit({ clients: clients.map((id) => ({ id, appId, staticKey: keys(), keySalt: keys(), createdAt: now })), messages: [], delivered: [], acked: [], seen: [], at: now });
    let commits = 0;
    const counted = { commit: (batch: WriteBatch) => (commits++, store.commit(batch)) };
    const queue = new CommitQueue(counted, { now: () => Date.now() }, (fn) => setImmediate(fn), silent, () => {}, {
      spacing: { minIntervalMs: intervalMs, now: () => performance.now(), wait: (ms, fn) => setTimeout(fn, ms) },
    });
    const payload = new Uint8Array(randomBytes(SEALED_BYTES));
    const data = new Uint8Array(256);
    const waits: number[] = [];
    const pending: Promise<unknown>[] = [];
    const cpu0 = cpuUs();
    const start = nowUs();
    let sent = 0;
    for (let elapsed = 0; elapsed < duration * 1000; elapsed = nowUs() - start) {
      const due = Math.floor((elapsed * RATE) / 1e6);
      for (; sent < due; sent++) {
        const at = Date.now();
        const queued = nowUs();
        const message = { appId, id: `${at}-${sent}`, clientId: clients[sent % CLIENTS]!, payload, createdAt: at, expiresAt: at + 86_400_000 };
        pending.push(queue.publish([{ message, data }]).then(() => waits.push((nowUs() - queued) / 1000)));
      }
      if (sent % 200 === 0) onProgress(elapsed / (duration * 1000));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(pending);
    const cpu = cpuUs() - cpu0;
    const seconds = (nowUs() - start) / 1e6;
    waits.sort((a, b) => a - b);
    const sorted = Float64Array.from(waits);
    return {
      msgsPerSec: sent / seconds,
      msgsPerCommit: sent / commits,
      cpuUsPerMsg: cpu / sent,
      commitWaitP50Ms: percentileSorted(sorted, 50),
      commitWaitP99Ms: percentileSorted(sorted, 99),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const commits: Scenario = {
  name: 'commits',
  summary: `single publishes paced at ${RATE.toLocaleString('en-US')}/s through the commit queue and the threaded SQLite store: spaced commits (${SPACED_MS} ms) against none`,
  units: (options) => options.reps * 2,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const duration = durationMs(options);
    const runs: Record<string, Measurement[]> = { spaced: [], unspaced: [] };
    for (let rep = 0; rep < options.reps; rep++) {
      for (const [system, interval] of [['unspaced', 0], ['spaced', SPACED_MS]] as const) {
        progress.begin(`commits ${RATE}/s: ${system} rep ${rep + 1}/${options.reps}`);
        runs[system]!.push(await runPaced(interval, duration, (f) => progress.update(f)));
        progress.end();
      }
    }
    return [
      {
        scenario: 'commits',
        case: `single publishes paced ${RATE}/s, SQLite full`,
        subject: 'spaced',
        baselines: ['unspaced'],
        metrics: [
          { key: 'cpuUsPerMsg', label: 'CPU per msg (both threads)', unit: 'µs', better: 'lower' },
          { key: 'msgsPerCommit', label: 'msgs per commit', unit: 'msg', better: 'higher' },
          { key: 'commitWaitP50Ms', label: 'publish to commit p50', unit: 'ms', better: 'lower' },
          { key: 'commitWaitP99Ms', label: 'publish to commit p99', unit: 'ms', better: 'lower' },
        ],
        runs,
        params: { rate: RATE, durationMs: duration, spacedMs: SPACED_MS, clients: CLIENTS, payloadBytes: SEALED_BYTES },
      },
    ];
  },
};
