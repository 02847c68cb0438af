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

  // Unicast batch at the largest C measured (10k in a full run).
  const unicastBatch = cases
    .filter((c) => c.scenario === 'unicast' && c.case.includes('batch'))
    .sort((a, b) => Number(b.params.clients) - Number(a.params.clients))[0];
  add('unicast batch msgs/s >= Socket.IO', unicastBatch, 'unicast', (c) => {
    const r = metric(c, 'msgsPerSec')?.ratios.socketio;
    return [r === undefined || !Number.isFinite(r) ? undefined : r >= 1, `sealpush/socketio = ${fmt(r)}x`];
  });
  add('unicast batch msgs/s >= 0.75x bare ws', unicastBatch, 'unicast', (c) => {
    const r = metric(c, 'msgsPerSec')?.ratios['bare-ws'];
    return [r === undefined || !Number.isFinite(r) ? undefined : r >= 0.75, `sealpush/bare-ws = ${fmt(r)}x`];
  });
  add('unicast batch server CPU/msg <= 1.5x bare ws', unicastBatch, 'unicast', (c) => {
    const r = metric(c, 'cpuUsPerMsg')?.ratios['bare-ws'];
    return [r === undefined || !Number.isFinite(r) ? undefined : r <= 1.5, `sealpush/bare-ws = ${fmt(r)}x`];
  });
  add('burst msgs/s >= 1.2x bare ws', cases.find((c) => c.scenario === 'burst'), 'burst', (c) => {
    const r = metric(c, 'msgsPerSec')?.ratios['bare-ws'];
    return [r === undefined || !Number.isFinite(r) ? undefined : r >= 1.2, `sealpush/bare-ws = ${fmt(r)}x`];
  });
  add('latency at 2,000/s: p99 within 1 ms of bare ws', cases.find((c) => c.scenario === 'latency' && c.case.includes('2000/s')), 'latency', (c) => {
    const m = metric(c, 'p99Ms');
    const s = m?.values.sealpush;
    const b = m?.values['bare-ws'];
    if (s === undefined || b === undefined) return [undefined, 'needs sealpush and bare-ws'];
    return [s - b <= 1, `p99 ${fmt(s)} ms vs ${fmt(b)} ms (+${fmt(s - b)} ms)`];
  });
  add('idle RSS/connection within 2 KiB of bare ws', cases.find((c) => c.scenario === 'idle'), 'idle', (c) => {
    const m = metric(c, 'rssPerConnBytes');
    const s = m?.values.sealpush;
    const b = m?.values['bare-ws'];
    if (s === undefined || b === undefined) return [undefined, 'needs sealpush and bare-ws'];
    return [s - b <= 2048, `${fmt(s, 0)} B vs ${fmt(b, 0)} B (+${fmt(s - b, 0)} B)`];
  });
  add('handshake >= 5,000/s per server core', cases.find((c) => c.scenario === 'handshake'), 'handshake', (c) => {
    const v = metric(c, 'sessionsPerCpuSec')?.values.sealpush;
    return [v === undefined || !Number.isFinite(v) ? undefined : v >= 5000, `${fmt(v, 0)} sessions per CPU-second`];
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
    out.push('', 'targets (issue 3), medians of this run:');
    for (const t of targets) out.push(`  ${t.status.toUpperCase().padEnd(4)}  ${t.scenario} ${t.case}: ${t.name} (${t.detail})`);
  }
  return out.join('\n');
}
