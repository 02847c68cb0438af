/**
 * Turns the scenarios' repetitions into the report: the median of each figure per system,
 * its ratio to each baseline of the same run, the issue's targets checked, a table for the
 * terminal and a JSON document for scripts.
 */
import type { CaseResult, MetricSpec } from '../scenarios/types.js';
import { median } from './stats.js';

export interface MetricReport {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  /** Median over repetitions (or the sum, for counts like lost), per system. */
  readonly values: Record<string, number>;
  /** subject / baseline, per baseline. */
  readonly ratios: Record<string, number>;
}

export interface CaseReport {
  readonly scenario: string;
  readonly case: string;
  readonly subject: string;
  readonly baselines: readonly string[];
  readonly params: Record<string, number | string>;
  readonly metrics: MetricReport[];
  /** Every repetition's full measurement, per system. */
  readonly reps: CaseResult['runs'];
}

export interface TargetReport {
  readonly name: string;
  readonly scenario: string;
  readonly case: string;
  readonly status: 'pass' | 'fail' | 'n/a';
  readonly detail: string;
}

export function aggregate(result: CaseResult): CaseReport {
  const systems = [result.subject, ...result.baselines].filter((s) => result.runs[s] !== undefined);
  const metrics = result.metrics.map((spec: MetricSpec): MetricReport => {
    const values: Record<string, number> = {};
    for (const system of systems) {
      const samples = result.runs[system]!.map((m) => m[spec.key] ?? Number.NaN);
      values[system] = spec.sum ? samples.reduce((a, b) => a + b, 0) : median(samples);
    }
    const ratios: Record<string, number> = {};
    const subject = values[result.subject];
    for (const baseline of result.baselines) {
      const base = values[baseline];
      if (subject !== undefined && base !== undefined && !spec.sum) ratios[baseline] = subject / base;
    }
    return { key: spec.key, label: spec.label, unit: spec.unit, better: spec.better, values, ratios };
  });
  return {
    scenario: result.scenario,
    case: result.case,
    subject: result.subject,
    baselines: result.baselines,
    params: result.params,
    metrics,
    reps: result.runs,
  };
}

function metric(c: CaseReport, key: string): MetricReport | undefined {
  return c.metrics.find((m) => m.key === key);
}

/** The targets, checked against this run's medians. */
export function checkTargets(cases: readonly CaseReport[]): TargetReport[] {
  const out: TargetReport[] = [];
  const add = (name: string, c: CaseReport | undefined, scenario: string, check: (c: CaseReport) => [boolean | undefined, string]): void => {
    if (!c) return;
    const [ok, detail] = check(c);
    out.push({ name, scenario, case: c.case, status: ok === undefined ? 'n/a' : ok ? 'pass' : 'fail', detail });
  };
  const fmt = (v: number | undefined, digits = 2): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

  const ratio = (c: CaseReport, key: string, baseline: string): number | undefined => {
    const r = metric(c, key)?.ratios[baseline];
    return r === undefined || !Number.isFinite(r) ? undefined : r;
  };
  const value = (c: CaseReport, key: string, system = 'sealpush'): number | undefined => {
    const v = metric(c, key)?.values[system];
    return v === undefined || !Number.isFinite(v) ? undefined : v;
  };
  const atMost = (r: number | undefined, limit: number): boolean | undefined => (r === undefined ? undefined : r <= limit);
  const atLeast = (r: number | undefined, limit: number): boolean | undefined => (r === undefined ? undefined : r >= limit);
  const largest = (scenario: string, caseIncludes: string): CaseReport | undefined =>
    cases
      .filter((c) => c.scenario === scenario && c.case.includes(caseIncludes))
      .sort((a, b) => Number(b.params.clients) - Number(a.params.clients))[0];

  // Issue 16's targets. One message per request, paced at 2,000/s (the latency scenario, C = 10k in a full run).
  const single = largest('latency', 'paced 2000/s');
  add('single publishes at 2,000/s: p99 <= 10 ms', single, 'latency', (c) => {
    const v = value(c, 'p99Ms');
    return [atMost(v, 10), `p99 ${fmt(v)} ms (bare ws ${fmt(value(c, 'p99Ms', 'bare-ws'))} ms)`];
  });
  add('single publishes at 2,000/s: server CPU/msg <= 2.0x bare ws', single, 'latency', (c) => {
    const r = ratio(c, 'cpuUsPerMsg', 'bare-ws');
    return [atMost(r, 2), `sealpush/bare-ws = ${fmt(r)}x`];
  });
  // Unicast batch at the largest C measured (10k in a full run).
  const unicastBatch = largest('unicast', 'batch');
  add('unicast batch server CPU/msg <= 3.0x bare ws', unicastBatch, 'unicast', (c) => {
    const r = ratio(c, 'cpuUsPerMsg', 'bare-ws');
    return [atMost(r, 3), `sealpush/bare-ws = ${fmt(r)}x`];
  });
  add('unicast batch msgs/s >= 0.6x Socket.IO', unicastBatch, 'unicast', (c) => {
    const r = ratio(c, 'msgsPerSec', 'socketio');
    return [atLeast(r, 0.6), `sealpush/socketio = ${fmt(r)}x`];
  });
  add('burst msgs/s >= 1.0x bare ws', cases.find((c) => c.scenario === 'burst'), 'burst', (c) => {
    const r = ratio(c, 'msgsPerSec', 'bare-ws');
    return [atLeast(r, 1), `sealpush/bare-ws = ${fmt(r)}x`];
  });
  add('resumptions >= 5,000 per server CPU-second', cases.find((c) => c.scenario === 'handshake' && c.case.includes('resumptions')), 'handshake', (c) => {
    const v = value(c, 'sessionsPerCpuSec');
    return [atLeast(v, 5000), `${fmt(v, 0)} resumptions per CPU-second`];
  });
  add('new sessions >= 2,000 per server CPU-second', cases.find((c) => c.scenario === 'handshake' && !c.case.includes('resumptions')), 'handshake', (c) => {
    const v = value(c, 'sessionsPerCpuSec');
    return [atLeast(v, 2000), `${fmt(v, 0)} sessions per CPU-second (bare ws ${fmt(value(c, 'sessionsPerCpuSec', 'bare-ws'), 0)})`];
  });
  const idle = cases.find((c) => c.scenario === 'idle');
  add('connecting C = 10k clients takes <= 1.5x Socket.IO\'s time', idle, 'idle', (c) => {
    const r = ratio(c, 'connectSeconds', 'socketio');
    return [atMost(r, 1.5), `${fmt(value(c, 'connectSeconds'))} s vs ${fmt(value(c, 'connectSeconds', 'socketio'))} s (${fmt(r)}x)`];
  });
  add('idle RSS/connection within 2 KiB of bare ws', idle, 'idle', (c) => {
    const s = value(c, 'rssPerConnBytes');
    const b = value(c, 'rssPerConnBytes', 'bare-ws');
    if (s === undefined || b === undefined) return [undefined, 'needs sealpush and bare-ws'];
    return [s - b <= 2048, `${fmt(s, 0)} B vs ${fmt(b, 0)} B (+${fmt(s - b, 0)} B)`];
  });
  for (const c of cases) {
    const lost = metric(c, 'lost');
    if (!lost) continue;
    const total = Object.values(lost.values).reduce((a, b) => a + b, 0);
    out.push({
      name: 'lost = 0',
      scenario: c.scenario,
      case: c.case,
      status: total === 0 ? 'pass' : 'fail',
      detail: Object.entries(lost.values).map(([s, v]) => `${s} ${v}`).join(', '),
    });
  }
  return out;
}

/** A number as the table shows it: thousands separated, few decimals. */
export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (unit === 'msgs' || unit === '') return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const digits = unit === 'ms' ? (abs < 10 ? 2 : 1) : abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? '' : `${r.toFixed(2)}x`;
}

/** The final table (plain text, aligned columns). */
export function renderTable(cases: readonly CaseReport[], targets: readonly TargetReport[]): string {
  // Every system a case names, subjects before their baselines, in the order they first appear.
  const systems = [...new Set(cases.flatMap((c) => [c.subject, ...c.baselines]))];
  const used = systems.filter((s) => cases.some((c) => c.metrics.some((m) => m.values[s] !== undefined)));
  const ratioCols = [...new Set(cases.flatMap((c) => c.baselines))];
  const header = ['scenario', 'case', 'metric', 'unit', ...used, ...ratioCols.map((b) => `vs ${b}`)];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const m of c.metrics) {
      rows.push([
        c.scenario,
        c.case,
        m.label,
        m.unit,
        ...used.map((s) => (m.values[s] === undefined ? '' : formatValue(m.values[s], m.unit))),
        ...ratioCols.map((b) => formatRatio(m.ratios[b])),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const row of rows) {
    const key = `${row[0]}|${row[1]}`;
    if (previous && key !== previous) out.push('');
    previous = key;
    out.push(line(row));
  }
  if (targets.length > 0) {
    out.push('', 'targets (issue 16), medians of this run:');
    for (const t of targets) out.push(`  ${t.status.toUpperCase().padEnd(4)}  ${t.scenario} ${t.case}: ${t.name} (${t.detail})`);
  }
  return out.join('\n');
}
