/**
 * `npm run fuzz -- --target rest|ws|all --cases N --seed S [--json out.json]`: fuzz a real
 * `sealpush serve` process (docs/reliability.md, "Fuzzing"). Prints a summary table, writes the
 * result as JSON (under chaos/results/ unless --json says where), exits 1 on any finding.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Progress } from '../../bench/lib/progress.js';
import { mib } from './oracle.js';
import { runFuzz, type FuzzResult, type FuzzTargetName, type TargetResult } from './run.js';

const HELP = `Usage: npm run fuzz -- [options]

  --target rest|ws|all   what to fuzz (default all)
  --cases N              cases per target: REST requests, WebSocket connections (default 10000)
  --seed S               seed of the run; the same seed replays the same cases (default: random, printed)
  --only I               replay case index I alone (with the --seed of the run that found it)
  --concurrency C        cases in flight per target (default 16)
  --rss-bound-mib M      fail if the server's RSS grows more than M MiB (default 150)
  --json FILE            where to write the result (default chaos/results/fuzz-<target>-<seed>.json)
  --quiet                no progress bar
  --help                 this text
`;

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'rss-bound-mib': { type: 'string', default: '150' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const target = values.target as FuzzTargetName;
if (!['rest', 'ws', 'all'].includes(target)) fail(`--target must be rest, ws or all, not ${values.target}`);
const cases = whole(values.cases, '--cases');
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole(values.seed, '--seed');
const only = values.only === undefined ? undefined : whole(values.only, '--only');
const concurrency = whole(values.concurrency, '--concurrency');
const rssBoundBytes = whole(values['rss-bound-mib'], '--rss-bound-mib') * 1024 * 1024;
const jsonFile = values.json ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results', `fuzz-${target}-${seed}.json`);

const targets = target === 'all' ? (['rest', 'ws'] as const) : ([target] as const);
const progress = new Progress(targets.length, !values.quiet);
const total = only === undefined ? cases : 1;
let current: string | undefined;
process.stderr.write(`fuzzing ${target} with seed ${seed}: ${total} cases per target, ${concurrency} in flight\n`);
const result = await runFuzz({
  target,
  cases,
  seed,
  concurrency,
  rssBoundBytes,
  ...(only === undefined ? {} : { only }),
  onProgress: (which, done) => {
    if (current !== which) {
      if (current !== undefined) progress.end();
      current = which;
      progress.begin(which === 'rest' ? 'REST requests' : 'WebSocket connections');
    }
    if (done % 50 === 0 || done === total) progress.update(done / total, `${done}/${total}`);
  },
});
if (current !== undefined) progress.end();
progress.finish();
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(table(result) + `\nresult: ${jsonFile}\n`);
process.exit(result.passed ? 0 : 1);

function table(r: FuzzResult): string {
  const rows: [string, string][] = [['seed', String(r.seed)]];
  const describe = (name: string, t: TargetResult): void => {
    rows.push([`${name} cases`, `${t.cases} in ${t.seconds} s (${t.casesPerSecond}/s)`]);
    rows.push([`${name} accepted`, String(t.accepted)]);
    if (t.hungUp > 0) rows.push([`${name} cut short, hung up`, String(t.hungUp)]);
    for (const [code, count] of Object.entries(t.refusals)) rows.push([`${name} refused ${code}`, String(count)]);
    rows.push([`${name} 5xx`, String(t.status5xx)]);
  };
  if (r.rest) describe('REST', r.rest);
  if (r.ws) {
    describe('WS', r.ws);
    rows.push(['WS frames', `${r.ws.frames.sent} (${r.ws.framesPerSecond}/s), ${r.ws.frames.mutated} made wrong`]);
  }
  rows.push(['crashes', String(r.crashes)]);
  rows.push(['RSS before/peak/after', `${mib(r.rss.beforeBytes)} / ${mib(r.rss.peakBytes)} / ${mib(r.rss.afterBytes)} MiB (bound: after <= before + ${mib(r.rss.boundBytes)})`]);
  rows.push(['findings', String(r.findingCount)]);
  rows.push(['verdict', r.passed ? 'PASS' : 'FAIL']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  for (const f of r.findings.slice(0, 20)) {
    const replay = f.index < 0 ? `npm run fuzz -- --target ${r.target} --cases ${r.rest?.cases ?? r.ws?.cases} --seed ${f.seed}` : `npm run fuzz -- --target ${f.target} --seed ${f.seed} --only ${f.index}`;
    lines.push(`FINDING ${f.kind} ${f.target} case ${f.index} (${f.label}): ${f.detail}; replay: ${replay}`);
  }
  return lines.join('\n');
}

function whole(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) fail(`${name} takes a whole number, not ${text}`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}
