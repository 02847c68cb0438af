/**
 * The engines scenarios' check of what a node answered around each fault of its database
 * (docs/deploy.md, "When MySQL cannot be reached"): every publish and read answered `ok` or 503
 * ERR_UNAVAILABLE with `Retry-After: 1`, never another code, and within `slowestAllowedMs` if sent
 * during a fault (not waiting for the heal);
 * `/healthz` 200 throughout; `/readyz` 503 within `readyzWithinMs` of a fault that lasts longer,
 * and 200 again after it heals; a publish accepted again after every heal (the recovery time);
 * and the node process never exiting. Pure: the unit test feeds it made-up timelines.
 */
import type { Answer } from '../crash-loop/load.js';
import type { ProbeAnswer } from './probe.js';

export interface FaultWindow {
  readonly kind: string;
  /** Date.now() just before the fault was made, and once it was healed. */
  readonly brokeAt: number;
  readonly healedAt: number;
}

export interface FaultTimeline {
  /** In the order they were made; none overlap. */
  readonly windows: readonly FaultWindow[];
  readonly answers: readonly Answer[];
  readonly probes: readonly ProbeAnswer[];
  /** When the load stopped (the end of the last window's recovery period). */
  readonly endedAt: number;
  readonly nodeExited: boolean;
  /** Longest any request (publish, read, health probe) sent during a fault may take to be answered, ms. */
  readonly slowestAllowedMs: number;
  /** How soon after a fault /readyz must answer 503 (docs: about 3 s), ms. */
  readonly readyzWithinMs: number;
}

export interface FaultFigures {
  readonly kind: string;
  readonly heldMs: number;
  /** Publishes sent during the fault and refused with 503 ERR_UNAVAILABLE. */
  readonly refused: number;
  /** Publishes sent during the fault and accepted (committed before or after the break). */
  readonly acceptedDuring: number;
  /** The slowest answer to a request sent during the fault, ms. */
  readonly slowestMs: number;
  /** From the heal to the first accepted publish answered after it; null: none before the next fault. */
  readonly firstAcceptMs: number | null;
  /** From the break to the first /readyz 503; null: none seen. */
  readonly readyz503Ms: number | null;
  /** From the heal to the first /readyz 200 sent after it; null: none before the next fault. */
  readonly readyz200Ms: number | null;
}

export interface FaultVerdict {
  readonly faults: readonly FaultFigures[];
  /** Answers of the whole run by kind and outcome (`publish ok`, `read ERR_UNAVAILABLE`, ...). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
  readonly ok: boolean;
}

const ALLOWED = new Set(['ok', 'ERR_UNAVAILABLE']);

export function judgeFaults(timeline: FaultTimeline): FaultVerdict {
  const problems: string[] = [];
  const outcomes: Record<string, number> = {};
  // Only while the database is broken must every path fail fast; a healthy node on a loaded
  // machine may be slow (a commit of many statements, each within queryTimeout), not hung.
  const duringFault = (at: number): boolean => timeline.windows.some((w) => at >= w.brokeAt && at <= w.healedAt);
  const slow = (what: string, request: { sentAt: number; answeredAt: number }): void => {
    const took = request.answeredAt - request.sentAt;
    if (took > timeline.slowestAllowedMs && duringFault(request.sentAt)) problems.push(`${what} sent at ${request.sentAt} took ${took} ms`);
  };
  for (const answer of timeline.answers) {
    slow(`a ${answer.kind}`, answer);
    const key = `${answer.kind} ${answer.outcome}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (!ALLOWED.has(answer.outcome)) problems.push(`a ${answer.kind} sent at ${answer.sentAt} got ${answer.outcome}`);
    else if (answer.outcome === 'ERR_UNAVAILABLE' && answer.retryAfterSeconds !== 1) {
      problems.push(`a ${answer.kind} sent at ${answer.sentAt} got ERR_UNAVAILABLE with Retry-After ${answer.retryAfterSeconds ?? 'missing'}`);
    }
  }
  for (const probe of timeline.probes) {
    slow(probe.path, probe);
    const allowed = probe.path === '/healthz' ? [200] : [200, 503];
    if (!allowed.includes(probe.status as number)) problems.push(`${probe.path} sent at ${probe.sentAt} answered ${probe.status}`);
  }
  if (timeline.nodeExited) problems.push('the node process exited');
  const faults = timeline.windows.map((window, i) => {
    const until = timeline.windows[i + 1]?.brokeAt ?? timeline.endedAt;
    const figures = figuresOf(window, until, timeline);
    if (figures.firstAcceptMs === null) problems.push(`${window.kind} at ${window.brokeAt}: no publish accepted after the heal`);
    if (figures.readyz200Ms === null) problems.push(`${window.kind} at ${window.brokeAt}: /readyz not 200 again after the heal`);
    const lateReadyz = figures.readyz503Ms === null || figures.readyz503Ms > timeline.readyzWithinMs;
    if (figures.heldMs > timeline.readyzWithinMs && lateReadyz) {
      problems.push(`${window.kind} at ${window.brokeAt}: /readyz not 503 within ${timeline.readyzWithinMs} ms (first 503 after ${figures.readyz503Ms ?? 'never'})`);
    }
    return figures;
  });
  return { faults, outcomes, problems, ok: problems.length === 0 };
}

function figuresOf(window: FaultWindow, until: number, timeline: FaultTimeline): FaultFigures {
  const during = (at: number): boolean => at >= window.brokeAt && at <= window.healedAt;
  const sentDuring = timeline.answers.filter((a) => during(a.sentAt));
  const publishes = sentDuring.filter((a) => a.kind === 'publish');
  const firstAccept = timeline.answers.find((a) => a.kind === 'publish' && a.outcome === 'ok' && a.answeredAt >= window.healedAt && a.answeredAt < until);
  const readyz = timeline.probes.filter((p) => p.path === '/readyz');
  const first503 = readyz.find((p) => p.status === 503 && p.answeredAt >= window.brokeAt && p.sentAt <= window.healedAt);
  const first200 = readyz.find((p) => p.status === 200 && p.sentAt >= window.healedAt && p.answeredAt < until);
  return {
    kind: window.kind,
    heldMs: window.healedAt - window.brokeAt,
    refused: publishes.filter((a) => a.outcome === 'ERR_UNAVAILABLE').length,
    acceptedDuring: publishes.filter((a) => a.outcome === 'ok').length,
    slowestMs: Math.max(0, ...sentDuring.map((a) => a.answeredAt - a.sentAt)),
    firstAcceptMs: firstAccept === undefined ? null : firstAccept.answeredAt - window.healedAt,
    readyz503Ms: first503 === undefined ? null : first503.answeredAt - window.brokeAt,
    readyz200Ms: first200 === undefined ? null : first200.answeredAt - window.healedAt,
  };
}
