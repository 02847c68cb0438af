/**
 * `npm run chaos -- [scenario ...] [options]`: sealpush's fault suite (docs/reliability.md).
 * Each scenario runs real `sealpush serve` processes and breaks something under them, then
 * checks what they promised from the recorded history. Prints a progress bar on stderr, a
 * summary table on stdout, and writes a JSON result (chaos/results/<date>.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Progress } from '../bench/lib/progress.js';
import { SCENARIOS, type ChaosOptions, type ScenarioOutcome } from './scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_MYSQL = 'mysql://root@127.0.0.1:3306/mysql';

const HELP = `Usage: npm run chaos -- [scenario ...] [options]

Breaks real sealpush processes under load and checks, from the recorded history, that nothing
accepted was lost, duplicated or reordered (docs/reliability.md).

Scenarios (default: all):
${SCENARIOS.map((s) => `  ${s.name.padEnd(14)} ${s.summary}`).join('\n')}

Options:
  --quick          the short forms npm test runs (crash-loop: 5 kills per store;
                   disk-full: a 6 MiB tmpfs for the WAL instead of 32 MiB;
                   engines-mysql: one fault of each kind, held 4 s, store timeouts 0.5 and 1 s;
                   engines-redis: each fault once instead of three times;
                   clock-steps: 5 steps instead of 8;
                   clients: a storm of 300 clients instead of 10,000)
  --store LIST     sqlite,mysql (default both)
  --kills N        crash-loop: kills per store (default 200)
  --storm N        clients: clients in the reconnect storm (default 10000, quick 300)
  --out FILE       where to write the JSON result (default chaos/results/<ISO date>.json)
  -h, --help       this help

Environment:
  SEALPUSH_TEST_MYSQL  a MySQL server whose user may create and drop databases
                       (default ${DEFAULT_MYSQL}); each run uses a fresh database

Exit status: 0 when every scenario passed, 1 when one did not, 2 for a usage error.`;

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

function parse(argv: string[]): { options: Omit<ChaosOptions, 'mysqlDatabase'>; names: string[]; out: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        store: { type: 'string', default: 'sqlite,mysql' },
        kills: { type: 'string' },
        storm: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const known = new Set(SCENARIOS.map((s) => s.name));
  for (const name of positionals) if (!known.has(name)) fail(`unknown scenario "${name}" (${[...known].join(', ')})`);
  const stores = values.store.split(',');
  for (const store of stores) if (store !== 'sqlite' && store !== 'mysql') fail(`--store takes sqlite and mysql, got "${store}"`);
  const kills = values.kills === undefined ? undefined : Number(values.kills);
  if (kills !== undefined && (!Number.isSafeInteger(kills) || kills < 1)) fail(`--kills must be a positive integer, got "${values.kills}"`);
  const storm = values.storm === undefined ? undefined : Number(values.storm);
  if (storm !== undefined && (!Number.isSafeInteger(storm) || storm < 1)) fail(`--storm must be a positive integer, got "${values.storm}"`);
  const out = values.out ?? resolve(ROOT, 'chaos/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  return { options: { quick: values.quick, stores: stores as ('sqlite' | 'mysql')[], kills, storm }, names: positionals, out };
}

function renderSummary(outcomes: readonly ScenarioOutcome[]): string {
  const columns = [...new Set(outcomes.flatMap((o) => Object.keys(o.figures)))];
  const header = ['scenario', 'on', ...columns, 'result'];
  const rows = outcomes.map((o) => [o.scenario, o.variant, ...columns.map((c) => String(o.figures[c] ?? '')), o.passed ? 'PASS' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { options, names, out } = parse(process.argv.slice(2));
  process.env.SEALPUSH_TEST_MYSQL ??= DEFAULT_MYSQL;
  const { freshDatabase } = await import('../test/helpers/mysql.js');
  const chaos: ChaosOptions = { ...options, mysqlDatabase: freshDatabase };
  const chosen = SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name));
  const progress = new Progress(chosen.reduce((n, s) => n + s.units(chaos), 0), true);
  const started = new Date();
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of chosen) outcomes.push(...(await scenario.run(chaos, progress)));
  progress.finish();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ started: started.toISOString(), options, outcomes }, null, 2)}\n`);
  process.stdout.write(`${renderSummary(outcomes)}\n\nresult: ${out}\n`);
  process.exitCode = outcomes.every((o) => o.passed) ? 0 : 1;
}

await main();
