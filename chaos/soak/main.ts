/**
 * `npm run soak -- --minutes 60`: one `sealpush serve` process under a steady load at half of
 * its measured maximum rate, clients connecting, leaving and resuming throughout, sampled every
 * few seconds (docs/reliability.md, "Soak"). Prints a progress bar on stderr and a summary table
 * on stdout, writes the JSON result and an SVG chart (chaos/results/ unless --json and --chart
 * say where), and exits 1 when a check failed.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Progress } from '../../bench/lib/progress.js';
import { soakChart } from './figures.js';
import { runSoak, type SoakResult } from './scenario.js';
import type { Phase } from './sampler.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_MYSQL = 'mysql://root@127.0.0.1:3306/mysql';

const HELP = `Usage: npm run soak -- [options]

Runs one sealpush node under a steady load with client churn and samples its RSS, open
handles, event-loop delay and delivery latency; checks that memory stays flat (a linear fit of
RSS over the last 45 minutes, or the last 75% of a shorter run), that every accepted message
was delivered once, and that the handles come back to baseline (docs/reliability.md, "Soak").

Options:
  --minutes M        length of the steady load (default 60)
  --rate R           messages per second (default: half of the maximum the ramp measures)
  --ramp-seconds S   length of the ramp that measures the maximum rate (default 20)
  --clients N        SDK clients connected (default 200)
  --churn C          churn events per second: a client leaves and resumes, or leaves for
                     good and a new one joins (default 2)
  --sample-seconds S sampling interval (default 5)
  --store S          sqlite (default), mysql (a fresh database on SEALPUSH_TEST_MYSQL,
                     default ${DEFAULT_MYSQL}), or the mysql:// URL of an empty database
  --json FILE        where to write the result (default chaos/results/soak-<date>.json)
  --chart FILE       where to write the SVG chart (default: the JSON's path, .svg)
                     (each sample is also appended as it is taken to the JSON's path,
                     .samples.jsonl, to follow a long run)
  --replot FILE      run nothing: draw the chart of a result written before (to --chart,
                     default FILE's path, .svg) and print its summary table
  --quiet            no progress bar
  -h, --help         this text

Exit status: 0 when every check held, 1 when one did not, 2 for a usage error.`;

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`${name} takes a positive number, not "${text}"`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      minutes: { type: 'string' }, rate: { type: 'string' }, 'ramp-seconds': { type: 'string' }, clients: { type: 'string' },
      churn: { type: 'string' }, 'sample-seconds': { type: 'string' }, store: { type: 'string', default: 'sqlite' },
      json: { type: 'string' }, chart: { type: 'string' }, replot: { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  fail((err as Error).message);
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (values.replot !== undefined) {
  const file = resolve(values.replot);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SoakResult & { started: string; options: { minutes: number } };
  const chart = resolve(values.chart ?? file.replace(/\.json$/, '') + '.svg');
  writeFileSync(chart, soakChart(chartTitle(saved, saved.options.minutes, new Date(saved.started)), saved.samples, saved.memory));
  process.stdout.write(`${table(saved)}\nchart:  ${chart}\n`);
  process.exit(saved.passed ? 0 : 1);
}
const store = values.store;
if (store !== 'sqlite' && store !== 'mysql' && !store.startsWith('mysql://')) fail(`--store takes sqlite, mysql or a mysql:// URL, not "${store}"`);
const jsonFile = resolve(values.json ?? resolve(ROOT, 'chaos/results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
const chartFile = resolve(values.chart ?? jsonFile.replace(/\.json$/, '') + '.svg');
const samplesFile = jsonFile.replace(/\.json$/, '') + '.samples.jsonl';
const minutes = positive(values.minutes, '--minutes', 60);
const options = {
  minutes,
  rate: values.rate === undefined ? undefined : positive(values.rate, '--rate', 0),
  rampSeconds: positive(values['ramp-seconds'], '--ramp-seconds', 20),
  clients: Math.round(positive(values.clients, '--clients', 200)),
  churnPerSecond: positive(values.churn, '--churn', 2),
  sampleSeconds: positive(values['sample-seconds'], '--sample-seconds', 5),
};

const phases: Phase[] = options.rate === undefined ? ['ramp', 'steady', 'drain'] : ['steady', 'drain'];
const progress = new Progress(phases.length, !values.quiet);
let current: Phase | undefined;
const onProgress = (phase: Phase, fraction: number, detail: string): void => {
  if (phase !== current) {
    if (current !== undefined) progress.end();
    current = phase;
    progress.begin(phase === 'ramp' ? `ramp: as fast as it goes for ${options.rampSeconds} s` : phase === 'steady' ? `steady load for ${minutes} min` : 'drain: every client catches up');
  }
  progress.update(fraction, detail);
};

let db: { url: string; drop(): Promise<void> } | undefined;
if (store === 'mysql') {
  process.env.SEALPUSH_TEST_MYSQL ??= DEFAULT_MYSQL;
  const { freshDatabase } = await import('../../test/helpers/mysql.js');
  db = await freshDatabase();
}
const started = new Date();
let result: SoakResult;
try {
  mkdirSync(dirname(samplesFile), { recursive: true });
  writeFileSync(samplesFile, '');
  const onSample = (sample: object): void => appendFileSync(samplesFile, `${JSON.stringify(sample)}\n`);
  result = await runSoak({ ...options, store: db?.url ?? store, onProgress, onSample });
} finally {
  await db?.drop();
}
if (current !== undefined) progress.end();
progress.finish();
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify({ started: started.toISOString(), options, ...result }, null, 2)}\n`);
mkdirSync(dirname(chartFile), { recursive: true });
writeFileSync(chartFile, soakChart(chartTitle(result, minutes, started), result.samples, result.memory));
process.stdout.write(`${table(result)}\nresult: ${jsonFile}\nchart:  ${chartFile}\n`);
process.exitCode = result.passed ? 0 : 1;

function chartTitle(r: SoakResult, minutes: number, started: Date): string {
  return `sealpush soak: ${minutes} min on ${r.store}, ${r.rate} msg/s, ${r.clients} clients (${started.toISOString().slice(0, 16)}Z)`;
}

function table(r: SoakResult): string {
  const f = r.figures;
  const m = r.memory;
  const n = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const rows: [string, string][] = [
    ['store', r.store],
    ['rate', `${r.rate} msg/s${r.maxRate === null ? ' (--rate)' : ` (half of the ramp's ${n(r.maxRate, 0)} msg/s)`}; achieved ${n(f.acceptedPerSecond, 0)} accepted/s, ${n(f.deliveredPerSecond, 0)} delivered/s`],
    ['messages', `${r.accepted} accepted in ${r.requests} requests, ${r.delivered} delivered`],
    ['clients', `${r.clients} connected; ${r.churn.resumed} left and resumed, ${r.churn.replaced} left for good, ${r.churn.joined} joined; ${r.churn.dropped} dropped by the node`],
    ['history', `lost ${r.history.lost.count}, duplicated ${r.history.duplicated.count}, unexpected ${r.history.unexpected.count}, reordered ${r.history.reordered.count}${r.drained ? '' : ' (not drained)'}`],
    ['errors', `publishes ${Object.values(r.publishErrors).reduce((a, b) => a + b, 0)}, clients ${r.clientErrors.length}, node log ${r.nodeErrors.length}`],
    ['node RSS', `${n(f.rssStartMiB)} MiB at the start of the steady load, ${n(f.rssEndMiB)} at its end, ${n(f.rssPeakMiB)} peak`],
    ['RSS fit', `${n(m.slopeMiBPerMinute, 3)} MiB/min over ${n((m.to - m.from) / 60)} min (${m.points} samples): growth ${n(m.growthMiB)} MiB, allowed ${n(m.allowedMiB)} (residual sd ${n(m.residualSd, 2)})`],
    ['driver RSS', `${n(f.driverRssStartMiB)} -> ${n(f.driverRssEndMiB)} MiB`],
    ['fds', `${f.fdsMin}-${f.fdsMax} under load; idle ${r.handles.baseFds} before, ${r.handles.endFds} after; handles ${r.handles.baseHandles} before, ${r.handles.endHandles} after`],
    ['event-loop delay p99', `median ${n(f.loopDelayP99MedianMs)} ms, worst window ${n(f.loopDelayP99MaxMs)} ms`],
    ['latency', `p50 median ${n(f.latencyP50MedianMs)} ms; p99 median ${n(f.latencyP99MedianMs)} ms, worst window ${n(f.latencyP99MaxMs)} ms`],
    ['samples', `${r.samples.length} (${f.steadySamples} steady) in ${n(r.seconds / 60)} min`],
    ...r.problems.map((p): [string, string] => ['problem', p]),
    ['verdict', r.passed ? 'PASS' : 'FAIL'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
