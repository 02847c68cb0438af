/**
 * What the clients scenario recorded, and the check of it against sealpush's promises for
 * slow, vanishing and reconnecting clients (docs/configuration.md, docs/protocol.md section 5,
 * docs/reliability.md). Pure: the unit test feeds it records that break each rule.
 */
import { ERROR_CATALOGUE, isTransientClose, type CatalogueEntry, type ErrorCode } from '../../src/domain/errors.js';
import type { Verdict } from '../crash-loop/history.js';

/** The node's limits the run set: the rules are stated in them. */
export interface StallLimits {
  readonly heartbeatMs: number;
  readonly idleTimeoutMs: number;
  readonly slowConsumerTimeoutMs: number;
  readonly sendHighWaterBytes: number;
  readonly maxFrameBytes: number;
}

/** One stalled client: how and when (ms after the stall began) the node closed it; null: never. */
export interface StalledClient {
  readonly clientId: string;
  readonly code: string | null;
  readonly afterMs: number | null;
}

export interface StallRecord {
  readonly limits: StallLimits;
  /** Clients that stopped reading (their process stopped) while messages were published to them. */
  readonly slow: readonly StalledClient[];
  /** Clients behind a proxy that blackholed. */
  readonly vanished: readonly StalledClient[];
  /** After the stall began, when the node's connection gauge was back to the healthy clients alone; null: never. */
  readonly freedAfterMs: number | null;
  /**
   * The node's RSS, KiB: its highest while the same flood went to the slow clients as they
   * still read (the control), before the stall, and its highest during it.
   */
  readonly rss: { readonly controlPeakKiB: number; readonly beforeKiB: number; readonly peakKiB: number };
  /** The healthy clients during the stall: messages expected and received, and the slowest delivery, ms. */
  readonly healthy: { readonly expected: number; readonly received: number; readonly maxLatencyMs: number };
  /** Everyone's messages, after the stalled clients came back and resumed. */
  readonly history: Verdict;
}

export interface StormRecord {
  readonly clients: number;
  /** Clients whose session resumed after the restart, and those that came back as new clients. */
  readonly resumed: number;
  readonly notResumed: number;
  /** From the restarted node listening to the last client resumed, ms; null: not all did. */
  readonly stormMs: number | null;
  /** The documented bound for it, ms. */
  readonly boundMs: number;
  /** The node's RSS with every client connected before the kill, and its peak after the restart, KiB. */
  readonly rss: { readonly steadyKiB: number; readonly peakKiB: number };
  /** Handshakes the restarted node refused or closed before they opened, by code. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly history: Verdict;
}

/** Slack on every time bound, for a loaded machine (timers fire late): ms. */
export const TIMER_SLACK_MS = 2000;
/**
 * Longest a connection the node closed may stay held: half the 30 s ws waits for a close frame
 * that a stopped or vanished peer never sends, which is how long they were held before the
 * node destroyed them itself.
 */
export const FREED_AFTER_CLOSE_MS = 15_000;
/**
 * Memory the stall may take beyond the control's peak (the same publishes to clients that read)
 * and the stalled connections' buffers: the noise of the heap's and the allocator's high-water
 * marks between two runs of the same work.
 */
export const STALL_HEADROOM_KIB = 32 * 1024;
/** The storm's peak RSS may be at most this multiple of the steady RSS with the same clients connected. */
export const STORM_RSS_FACTOR = 2;

export interface ClientsVerdict {
  readonly problems: readonly string[];
  readonly ok: boolean;
}

/** Breaks of the stall rules, in words. */
export function checkStall(record: StallRecord): string[] {
  const { limits } = record;
  const problems: string[] = [];
  // A client that answers nothing is closed within idleTimeoutMs + heartbeatMs (the check runs
  // on the heartbeat), one that does not read sooner, once its buffer is full: both bounded so.
  const closeBoundMs = limits.idleTimeoutMs + limits.heartbeatMs + TIMER_SLACK_MS;
  const expect = (clients: readonly StalledClient[], codes: readonly ErrorCode[], what: string): void => {
    for (const c of clients) {
      if (c.code === null || c.afterMs === null) problems.push(`${what} ${c.clientId} was never closed by the node`);
      else if (!codes.includes(c.code as ErrorCode)) problems.push(`${what} ${c.clientId} was closed with ${c.code}, not ${codes.join(' or ')}`);
      else if (c.afterMs > closeBoundMs) problems.push(`${what} ${c.clientId} was closed after ${c.afterMs} ms (bound ${closeBoundMs})`);
    }
  };
  // A stopped client answers no ping either: whichever rule acts first closes it (the
  // slow-consumer one only once the publishes have filled its buffers, which takes seconds).
  expect(record.slow, ['ERR_SLOW_CONSUMER', 'ERR_IDLE_TIMEOUT'], 'slow client');
  expect(record.vanished, ['ERR_IDLE_TIMEOUT'], 'vanished client');
  const lastClose = Math.max(0, ...[...record.slow, ...record.vanished].map((c) => c.afterMs ?? 0));
  if (record.freedAfterMs === null || record.freedAfterMs - lastClose > FREED_AFTER_CLOSE_MS) {
    problems.push(`the stalled connections were not freed within ${FREED_AFTER_CLOSE_MS} ms of their close (${record.freedAfterMs === null ? 'never' : `${record.freedAfterMs - lastClose} ms`})`);
  }
  const stalled = record.slow.length + record.vanished.length;
  const rssBoundKiB = Math.max(record.rss.controlPeakKiB, record.rss.beforeKiB) + Math.ceil((stalled * (limits.sendHighWaterBytes + limits.maxFrameBytes)) / 1024) + STALL_HEADROOM_KIB;
  if (record.rss.peakKiB > rssBoundKiB) problems.push(`the node's RSS reached ${record.rss.peakKiB} KiB during the stall (bound ${rssBoundKiB})`);
  const { healthy } = record;
  if (healthy.received < healthy.expected) problems.push(`healthy clients got ${healthy.received} of ${healthy.expected} messages during the stall`);
  // Held behind the stalled clients, they would wait at least as long as those were held.
  const held = Math.min(...[...record.slow, ...record.vanished].map((c) => c.afterMs ?? Number.POSITIVE_INFINITY));
  if (healthy.maxLatencyMs >= held) problems.push(`a healthy client waited ${healthy.maxLatencyMs} ms for a message during the stall, as long as the stalled ones were held`);
  problems.push(...historyProblems(record.history, 'stall'));
  return problems;
}

/** Breaks of the storm rules, in words. */
export function checkStorm(record: StormRecord): string[] {
  const problems: string[] = [];
  if (record.resumed < record.clients) problems.push(`${record.clients - record.resumed} of ${record.clients} clients never came back after the restart`);
  if (record.notResumed > 0) problems.push(`${record.notResumed} clients came back as new clients instead of resuming`);
  if (record.stormMs === null || record.stormMs > record.boundMs) problems.push(`the storm took ${record.stormMs ?? 'forever'} ms (bound ${record.boundMs})`);
  if (record.rss.peakKiB > record.rss.steadyKiB * STORM_RSS_FACTOR) {
    problems.push(`the node's RSS peaked at ${record.rss.peakKiB} KiB in the storm (bound ${STORM_RSS_FACTOR} x ${record.rss.steadyKiB})`);
  }
  for (const code of Object.keys(record.refusals)) {
    if (code === 'ok') continue;
    const entry = (ERROR_CATALOGUE as Readonly<Record<string, CatalogueEntry | undefined>>)[code];
    if (entry === undefined) problems.push(`a handshake was refused with ${code}, which is not in the catalogue`);
    else if (!isTransientClose(entry.ws)) problems.push(`a handshake was refused with ${code}, a permanent code`);
  }
  problems.push(...historyProblems(record.history, 'storm'));
  return problems;
}

function historyProblems(history: Verdict, phase: string): string[] {
  const kinds = { lost: history.lost, duplicated: history.duplicated, unexpected: history.unexpected, reordered: history.reordered };
  return Object.entries(kinds)
    .filter(([, ids]) => ids.length > 0)
    .map(([kind, ids]) => `${phase}: ${ids.length} ${kind} (${ids.slice(0, 3).join(', ')})`);
}

export function checkClients(stall: StallRecord, storm: StormRecord): ClientsVerdict {
  const problems = [...checkStall(stall), ...checkStorm(storm)];
  return { problems, ok: problems.length === 0 };
}
