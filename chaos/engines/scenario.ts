/**
 * engines-mysql (issue 18, scenario 3, MySQL part): a node whose store is a MariaDB of its own,
 * reached through a TCP proxy, under the crash loop's load (publishers retrying with the same
 * ids, resuming SDK clients, a status reader, webhooks), while the database is restarted
 * (SIGTERM, kill -9), stopped with SIGSTOP and resumed, and the proxy resets every connection
 * or blackholes them, each in turn, `rounds` times. Every answer is recorded; then the history
 * is checked as the crash loop's is (nothing accepted lost, duplicated or reordered, audit
 * verify passing), and the answers around each fault as verdict.ts says.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { OwnMariaDb } from '../../test/helpers/mariadb-server.js';
import { TcpProxy } from '../../test/helpers/tcp-proxy.js';
import type { Answer } from '../crash-loop/load.js';
import { runUnderLoad, type LoadedRunResult } from '../lib/loaded-node.js';
import { FAULT_KINDS } from './faults.js';
import { HealthProbe } from './probe.js';
import { judgeFaults, type FaultVerdict } from './verdict.js';

export interface EnginesMysqlOptions {
  /** Times each fault kind is made. */
  readonly rounds: number;
  /** How long SIGSTOP, RST and blackhole faults last, ms: longer than the store's timeouts. */
  readonly holdMs: number;
  /** Load on a healthy node between a recovery and the next fault, ms. */
  readonly gapMs: number;
  /** The store URL's timeouts (docs/configuration.md); unset: the defaults (5000, 10000). */
  readonly connectTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
  /** Longest a request may go unanswered: past it, the attempt counts as `no answer`, ms. */
  readonly boundMs: number;
  /** Longest an answer may take (verdict.ts): connectTimeout + 2 x queryTimeout, a statement queued behind a hung one on a new connection. */
  readonly slowestAllowedMs: number;
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  readonly settleMs: number;
  readonly onFault?: (done: number, total: number, label: string) => void;
}

export interface EnginesMysqlResult extends LoadedRunResult {
  readonly faultVerdict: FaultVerdict;
  readonly faultCount: number;
  readonly seconds: number;
  readonly passed: boolean;
}

/** Most time a recovery may take before the scenario moves on (it is then a problem), ms. */
const RECOVERY_LIMIT_MS = 60_000;

export async function runEnginesMysql(options: EnginesMysqlOptions): Promise<EnginesMysqlResult> {
  const started = Date.now();
  const db = await OwnMariaDb.start();
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: db.port });
  const answers: Answer[] = [];
  const windows: { kind: string; brokeAt: number; healedAt: number }[] = [];
  let probes: HealthProbe | undefined;
  let nodeExited = false;
  let endedAt = 0;
  try {
    const store = new URL(db.url);
    store.port = String(proxy.port);
    if (options.connectTimeoutMs !== undefined) store.searchParams.set('connectTimeout', String(options.connectTimeoutMs));
    if (options.queryTimeoutMs !== undefined) store.searchParams.set('queryTimeout', String(options.queryTimeoutMs));
    const total = options.rounds * FAULT_KINDS.length;
    const result = await runUnderLoad({
      store: store.href, clients: options.clients, paceMs: options.paceMs, churnMs: options.churnMs, settleMs: options.settleMs,
      load: { onAnswer: (answer) => answers.push(answer), publishTimeoutMs: options.boundMs },
    }, async (node) => {
      probes = new HealthProbe(node.url, 200, options.boundMs);
      const acceptedSince = (at: number): boolean => answers.some((a) => a.kind === 'publish' && a.outcome === 'ok' && a.answeredAt >= at);
      for (let round = 0; round < options.rounds; round++) {
        for (const fault of FAULT_KINDS) {
          await pause(options.gapMs);
          const brokeAt = Date.now();
          await fault.apply({ db, proxy }, options.holdMs);
          const healedAt = Date.now();
          windows.push({ kind: fault.name, brokeAt, healedAt });
          for (const limit = healedAt + RECOVERY_LIMIT_MS; !acceptedSince(healedAt) && Date.now() < limit;) await pause(50);
          if (!node.alive()) {
            nodeExited = true; // started again, so that the load can finish and the history be checked
            await node.restart();
          }
          options.onFault?.(windows.length, total, fault.name);
        }
      }
      await pause(options.gapMs);
      endedAt = Date.now();
      await probes.stop();
    });
    const faultVerdict = judgeFaults({ windows, answers, probes: probes?.answers ?? [], endedAt, nodeExited, slowestAllowedMs: options.slowestAllowedMs, readyzWithinMs: 5000 });
    return {
      ...result, faultVerdict: { ...faultVerdict, problems: faultVerdict.problems.slice(0, 50) }, faultCount: windows.length,
      seconds: (Date.now() - started) / 1000, passed: result.held && faultVerdict.ok,
    };
  } finally {
    await probes?.stop();
    await proxy.close();
    await db.remove();
  }
}
