/**
 * The check of what the engines-redis scenario saw during and after each fault, against what
 * docs/deploy.md ("Failures", and "What crosses Redis") promises. Pure: it reads the record
 * only; each broken promise becomes one line of `problems`. Delivery itself (lost, duplicated,
 * reordered, status backwards) is crash-loop/history.ts's check of the same run.
 */
import type { AnswerCounts } from './probes.js';

export type FaultKind = 'redis-restart' | 'redis-flushall' | 'node-paused';

export interface FaultRecord {
  readonly fault: FaultKind;
  /** From the fault's start to its end (Redis back, FLUSHALL answered, SIGCONT), ms. */
  readonly durationMs: number;
  /**
   * What the nodes that were not paused answered, asked directly while the fault lasted:
   * `publish` (a signed POST /v1/messages), `readyz`, `hello` (a new client's handshake).
   * During a Redis outage the probes start a second and a half in, as `/readyz` may take a second.
   */
  readonly during: AnswerCounts;
  /** What the paused node's `/readyz` answered while it was paused (node-paused only). */
  readonly pausedReadyz?: AnswerCounts[string];
  /**
   * A signed publish sent and accepted a few seconds before the fault, sent again twice,
   * unchanged, to other nodes after it: a replay inside the request's 300 s window.
   */
  readonly replays: readonly string[];
  /** From the fault's end until every node was ready and a publish through each reached a client, ms; null if not by the deadline. */
  readonly recoveredMs: number | null;
}

const UNAVAILABLE = 'ERR_UNAVAILABLE:retry-after=1';
const REPLAY = 'ERR_AUTH_REPLAY';

/** What each kind of probe may answer during each fault. */
const DOCUMENTED: Readonly<Record<FaultKind, Readonly<Record<string, readonly string[]>>>> = {
  // "every publish is refused with 503 ERR_UNAVAILABLE and Retry-After: 1"; "/readyz answers
  // 503 within a second"; a new client's hello needs no Redis (registrations are then counted
  // by the node alone), so it is served.
  'redis-restart': { publish: [UNAVAILABLE], readyz: ['503'], hello: ['ok'] },
  // Redis is up: an empty Redis costs nothing but nonces, presence and counts.
  'redis-flushall': { publish: ['202'], readyz: ['200'], hello: ['ok'] },
  // The other nodes serve as before.
  'node-paused': { publish: ['202'], readyz: ['200'], hello: ['ok'] },
};

/**
 * The replays' answers: none is let through. A Redis that kept its nonces calls each a replay;
 * one that lost them (restarted, flushed) refuses a request signed before the loss with 503,
 * asking the sender to sign again (src/drivers/redis/nonces.ts).
 */
function replaysDocumented(record: FaultRecord): boolean {
  const refusals = record.fault === 'node-paused' ? [REPLAY] : [REPLAY, UNAVAILABLE];
  return record.replays.length === 2 && record.replays.every((answer) => refusals.includes(answer));
}

export interface FaultVerdict {
  readonly problems: readonly string[];
  /** Replays a node accepted (each a second message from one signed request). */
  readonly replaysAccepted: number;
}

export function checkFaults(records: readonly FaultRecord[]): FaultVerdict {
  const problems: string[] = [];
  for (const record of records) {
    const allowed = DOCUMENTED[record.fault];
    for (const [kind, answers] of Object.entries(allowed)) {
      const seen = record.during[kind] ?? {};
      const other = Object.entries(seen).filter(([answer]) => !answers.includes(answer));
      if (other.length > 0) problems.push(`${record.fault}: ${kind} answered ${other.map(([a, n]) => `${a} x${n}`).join(', ')} (documented: ${answers.join(' or ')})`);
      if (Object.keys(seen).length === 0) problems.push(`${record.fault}: no ${kind} probe was made`);
    }
    if (record.pausedReadyz !== undefined && Object.keys(record.pausedReadyz).some((answer) => answer === '200')) {
      problems.push(`${record.fault}: the paused node's /readyz answered 200`);
    }
    if (!replaysDocumented(record)) problems.push(`${record.fault}: a request replayed after the fault was answered ${record.replays.join(', then ')}`);
    if (record.recoveredMs === null) problems.push(`${record.fault}: the cluster did not recover`);
  }
  const replaysAccepted = records.flatMap((r) => r.replays).filter((answer) => answer === '202').length;
  return { problems, replaysAccepted };
}
