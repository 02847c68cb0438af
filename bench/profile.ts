/**
 * `node --import tsx bench/profile.ts FILE.cpuprofile [--top N] [--from US --to US] [--json]`: where a server's
 * CPU time went, from a profile written with BENCH_NODE_FLAGS="--cpu-prof ...". Percentages
 * are of the busy (non-idle) time. V8 samples wall time on the main thread: time blocked in a
 * synchronous call (an fsync inside a SQLite commit) shows as that call's time.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summariseProfile, type Ranked } from './lib/cpuprofile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || positionals.length !== 1) {
  process.stdout.write(
    'Usage: node --import tsx bench/profile.ts FILE.cpuprofile [--top N] [--from US --to US] [--json]\n' +
      '  --from/--to: only samples in this window of monotonic microseconds, e.g. a measurement\'s\n' +
      '  windowStartUs and windowEndUs from the results JSON (reps of a case).\n',
  );
  process.exit(values.help ? 0 : 2);
}
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
const root = fileURLToPath(new URL('..', import.meta.url));
const window = values.from !== undefined && values.to !== undefined ? { fromUs: Number(values.from), toUs: Number(values.to) } : undefined;
const summary = summariseProfile(positionals[0]!, root, Number(values.top), window);
if (values.json) {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} else {
  const show = (title: string, rows: Ranked[]): void => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows) process.stdout.write(`${r.percent.toFixed(1).padStart(6)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}${r.where ? `  ${r.where}` : ''}\n`);
  };
  process.stdout.write(`profile: ${summary.totalMs.toFixed(0)} ms, ${summary.idlePercent.toFixed(1)}% idle; percentages of busy time\n`);
  show('by area (self time)', summary.byArea);
  show('self time', summary.self);
  show('inclusive time', summary.inclusive);
}
