/**
 * Scenario 6, store: group-commit throughput of sealpush's store alone (the SQLite driver's
 * `commit`, as the CommitQueue calls it), batches of 100 and 1,000 messages of 256 bytes
 * (sealed at rest: 285 bytes), for durability full and normal, against a hand-written
 * SQLite baseline (bare-sqlite.ts). A third case adds the delivered and acked marks that live
 * delivery puts in the same commits (the baseline stays insert-only: it shows their cost).
 * In-process, one commit at a time; CPU is this process's.
 * MySQL follows when its driver exists.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/drivers/store/sqlite/store.js';
import type { NewMessage, SeqMark } from '../../src/domain/ports/message-log.js';
import { nowUs } from '../lib/clock.js';
import { percentileSorted } from '../lib/stats.js';
import { BareSqlite } from './bare-sqlite.js';
import type { BenchContext, BenchOptions, CaseResult, Measurement, Scenario } from './types.js';

const BATCHES = [100, 1000] as const;
const DURABILITIES = ['full', 'normal'] as const;
const SEALED_BYTES = 1 + 12 + 256 + 16;

function sizes(options: BenchOptions): { messages: number; clients: number } {
  return { messages: options.messages ?? (options.quick ? 20_000 : 100_000), clients: options.clients ?? 1000 };
}

interface Workload {
  readonly clientIds: string[];
  readonly ids: string[];
  readonly payload: Uint8Array;
}

function workload(messages: number, clients: number): Workload {
  return {
    clientIds: Array.from({ length: clients }, (_, i) => `client${i}`),
    ids: Array.from({ length: messages }, () => randomBytes(16).toString('base64url')),
    payload: new Uint8Array(randomBytes(SEALED_BYTES)),
  };
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Commits all messages in batches of `batch`, timing each commit. */
async function drive(
  w: Workload,
  batch: number,
  commit: (from: number, to: number) => Promise<void> | void,
  onProgress: (f: number) => void,
): Promise<Measurement> {
  const total = w.ids.length;
  const times = new Float64Array(Math.ceil(total / batch));
  const cpu0 = cpuNow();
  const start = nowUs();
  let k = 0;
  for (let from = 0; from < total; from += batch) {
    const t0 = nowUs();
    await commit(from, Math.min(total, from + batch));
    times[k++] = nowUs() - t0;
    if (k % 20 === 0) {
      onProgress(from / total);
      await new Promise((resolve) => setImmediate(resolve)); // let the progress bar draw
    }
  }
  const seconds = (nowUs() - start) / 1e6;
  const cpu = cpuNow() - cpu0;
  times.sort();
  return {
    msgsPerSec: total / seconds,
    commitsPerSec: k / seconds,
    commitP50Ms: percentileSorted(times, 50) / 1000,
    commitP99Ms: percentileSorted(times, 99) / 1000,
    cpuUsPerMsg: (cpu * 1e6) / total,
  };
}

/**
 * `withMarks`: each commit also carries what live delivery adds to it, the delivered marks
 * for the clients of the previous batch and the acked marks (with their acked_seq raise)
 * for the batch before that, as the CommitQueue gathers them when every message is
 * delivered and acked one turn after it is committed.
 */
async function runSealpushStore(
  w: Workload,
  batch: number,
  durability: 'full' | 'normal',
  onProgress: (f: number) => void,
  withMarks = false,
): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpush-bench-store-'));
  const store = openSqliteStore({ path: join(dir, 'sealpush.db'), durability });
  try {
    const appId = 'app_bench';
    const now = Date.now();
    await store.createApp({ id: appId, name: 'bench', wrappedSecret: new Uint8Array(60), createdAt: now, delivery: { mode: 'direct' } });
    await store.commit({
      clients: w.clientIds.map((id) => ({ id, appId, staticKey: new Uint8Array(randomBytes(32)), keySalt: new Uint8Array(randomBytes(32)), createdAt: now })),
      messages: [],
      delivered: [],
      acked: [],
      seen: [],
      at: now,
    });
    let delivered: SeqMark[] = [];
    let acked: SeqMark[] = [];
    return await drive(
      w,
      batch,
      async (from, to) => {
        const at = Date.now();
        const messages: NewMessage[] = [];
        for (let i = from; i < to; i++) {
          messages.push({ appId, id: w.ids[i]!, clientId: w.clientIds[i % w.clientIds.length]!, payload: w.payload, createdAt: at, expiresAt: at + 86_400_000 });
        }
        const result = await store.commit({ clients: [], messages, delivered, acked, seen: [], at });
        if (result.messages.some((m) => m.kind !== 'inserted')) throw new Error('store: a message was not inserted');
        if (withMarks) {
          acked = delivered;
          const upto = new Map<string, number>();
          result.messages.forEach((m, i) => {
            if (m.kind === 'inserted') upto.set(messages[i]!.clientId, m.seq);
          });
          delivered = [...upto].map(([clientId, uptoSeq]) => ({ clientId, uptoSeq }));
        }
      },
      onProgress,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBareSqlite(w: Workload, batch: number, durability: 'full' | 'normal', onProgress: (f: number) => void): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpush-bench-bare-'));
  const db = new BareSqlite(join(dir, 'bare.db'), durability);
  try {
    return await drive(
      w,
      batch,
      (from, to) => {
        const at = Date.now();
        const messages = [];
        for (let i = from; i < to; i++) messages.push({ id: w.ids[i]!, clientId: w.clientIds[i % w.clientIds.length]!, payload: w.payload, createdAt: at });
        db.commit(messages);
      },
      onProgress,
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const store: Scenario = {
  name: 'store',
  summary: 'group-commit throughput of the SQLite store alone (durability full and normal; batches of 100 and 1,000)',
  units: (options) => (BATCHES.length + 1) * DURABILITIES.length * options.reps * 2,
  async run(ctx: BenchContext): Promise<CaseResult[]> {
    const { options, progress } = ctx;
    const { messages, clients } = sizes(options);
    const results: CaseResult[] = [];
    const variants = [...BATCHES.map((batch) => ({ batch, marks: false })), { batch: 100, marks: true }];
    for (const durability of DURABILITIES) {
      for (const { batch, marks } of variants) {
        const runs: Record<string, Measurement[]> = { 'sealpush-store': [], 'bare-sqlite': [] };
        const name = `SQLite ${durability}, batch ${batch}${marks ? ' + delivered/acked marks' : ''}`;
        for (let rep = 0; rep < options.reps; rep++) {
          const w = workload(messages, clients);
          for (const system of ['sealpush-store', 'bare-sqlite'] as const) {
            progress.begin(`store ${name}: ${system} rep ${rep + 1}/${options.reps}`);
            const onProgress = (f: number): void => progress.update(f);
            runs[system]!.push(
              system === 'sealpush-store'
                ? await runSealpushStore(w, batch, durability, onProgress, marks)
                : await runBareSqlite(w, batch, durability, onProgress),
            );
            progress.end();
          }
        }
        results.push({
          scenario: 'store',
          case: name,
          subject: 'sealpush-store',
          baselines: ['bare-sqlite'],
          metrics: [
            { key: 'msgsPerSec', label: 'committed msgs/s', unit: 'msg/s', better: 'higher' },
            { key: 'commitP99Ms', label: 'commit p99', unit: 'ms', better: 'lower' },
            { key: 'cpuUsPerMsg', label: 'CPU per msg', unit: 'µs', better: 'lower' },
          ],
          runs,
          params: { durability, batch, marks: marks ? 'delivered+acked per client, as live delivery adds' : 'none', messages, clients, payloadBytes: SEALED_BYTES },
        });
      }
    }
    return results;
  },
};
