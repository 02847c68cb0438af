/**
 * `npm run bench -- [scenario ...] [options]`: sealpush's benchmark suite. See --help and
 * docs/performance.md. Every server under test runs in its own child process; the clients
 * run in load-agent child processes; figures are medians of repetitions, each reported
 * with its ratio to the baselines measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FileLimitError } from './lib/proc.js';
import { Progress } from './lib/progress.js';
import { aggregate, checkTargets, renderTable, type CaseReport } from './lib/report.js';
import { killAllServers, SERVER_KINDS, type ServerKind } from './lib/servers.js';
import { burst } from './scenarios/burst.js';
import { cohort } from './scenarios/cohort.js';
import { commits } from './scenarios/commits.js';
import { webhooks } from './scenarios/webhooks.js';
import { handshake } from './scenarios/handshake.js';
import { idle } from './scenarios/idle.js';
import { latency } from './scenarios/latency.js';
import { store } from './scenarios/store.js';
import type { BenchContext, BenchOptions, CaseResult, Scenario } from './scenarios/types.js';
import { unicast } from './scenarios/unicast.js';

const SCENARIOS: readonly Scenario[] = [unicast, burst, latency, idle, handshake, store, commits, cohort, webhooks];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const HELP = `Usage: npm run bench -- [scenario ...] [options]

sealpush's benchmark suite. Each server under test (sealpush, a bare ws server, Socket.IO)
runs in its own process on this machine; clients run in load-agent processes. Prints a
progress bar on stderr, a table on stdout, and writes bench/results/<date>.json.

Scenarios (default: all):
${SCENARIOS.map((s) => `  ${s.name.padEnd(10)} ${s.summary}`).join('\n')}

Options:
  --quick             small counts and 1 repetition (unless --reps): a fast check, not a measurement
  --reps N            repetitions per figure; the table shows medians (default 3)
  --out FILE          where to write the JSON results (default bench/results/<ISO date>.json)
  --servers LIST      comma-separated subset of ${SERVER_KINDS.join(',')} (default: all)
  --durability D      sealpush's SQLite durability: full (the default, fsync per commit) or normal
  --agents N          load-agent processes holding the clients (default 2)
  --clients N         override the scenarios' client counts (handshake: sessions)
  --messages N        override the scenarios' message counts
  --bytes N           message data size in bytes (default 256)
  --modes LIST        unicast's publishing modes: batch,single (default both)
  --batch-in-flight N batch requests (100 messages each) in flight at once (default 4)
  --json              print the JSON results on stdout instead of the table
  --no-progress       no progress output on stderr
  -h, --help          this help

Environment:
  BENCH_NODE_FLAGS    extra node flags for the server processes, e.g.
                      "--cpu-prof --cpu-prof-dir=bench/results/profiles"

Exit status: 0 when every message published was accepted and delivered (lost = 0), 1 when
not, 2 for a usage error or a failed run.`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${text}"`);
  return n;
}

function parseOptions(argv: string[]): { options: BenchOptions; out: string; json: boolean; progress: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        reps: { type: 'string' },
        out: { type: 'string' },
        servers: { type: 'string' },
        durability: { type: 'string', default: 'full' },
        agents: { type: 'string' },
        clients: { type: 'string' },
        messages: { type: 'string' },
        bytes: { type: 'string' },
        modes: { type: 'string', default: 'batch,single' },
        'batch-in-flight': { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-progress': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const names = SCENARIOS.map((s) => s.name);
  for (const p of positionals) if (!names.includes(p)) fail(`unknown scenario "${p}" (known: ${names.join(', ')})`);
  const servers = (values.servers ?? SERVER_KINDS.join(',')).split(',').map((s) => s.trim()) as ServerKind[];
  for (const s of servers) if (!SERVER_KINDS.includes(s)) fail(`unknown server "${s}" (known: ${SERVER_KINDS.join(', ')})`);
  if (values.durability !== 'full' && values.durability !== 'normal') fail('--durability must be full or normal');
  const modes = values.modes.split(',').map((m) => m.trim());
  for (const m of modes) if (m !== 'batch' && m !== 'single') fail(`--modes takes batch and/or single, got "${m}"`);
  const clients = positiveInt('clients', values.clients);
  const messages = positiveInt('messages', values.messages);
  const options: BenchOptions = {
    scenarios: positionals.length > 0 ? positionals : names,
    quick: values.quick,
    reps: positiveInt('reps', values.reps) ?? (values.quick ? 1 : 3),
    servers,
    durability: values.durability,
    agents: positiveInt('agents', values.agents) ?? 2,
    nodeFlags: (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== ''),
    messageBytes: positiveInt('bytes', values.bytes) ?? 256,
    modes: modes as ('batch' | 'single')[],
    batchInFlight: positiveInt('batch-in-flight', values['batch-in-flight']) ?? 4,
    ...(clients !== undefined ? { clients } : {}),
    ...(messages !== undefined ? { messages } : {}),
  };
  if (options.messageBytes < 64) fail('--bytes must be at least 64 (the timestamp and counters take ~50)');
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const out = resolve(values.out ?? `${ROOT}/bench/results/${stamp}.json`);
  return { options, out, json: values.json, progress: !values['no-progress'] };
}

/**
 * The commit under test and whether src/ differs from it (read-only git commands). Read at
 * the start and the end: when others commit or edit src/ during a long run, later servers
 * run newer code, and the JSON says so.
 */
function gitState(): { commit?: string; srcTree?: string; srcModified?: string[] } {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const modified = git(['diff', '--name-only', 'HEAD', '--', 'src']);
    return {
      commit: git(['rev-parse', '--short', 'HEAD']),
      srcTree: git(['rev-parse', '--short', 'HEAD:src']),
      srcModified: modified === '' ? [] : modified.split('\n'),
    };
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const { options, out, json, progress: showProgress } = parseOptions(process.argv.slice(2));
  const selected = SCENARIOS.filter((s) => options.scenarios.includes(s.name));
  // Others may commit or edit src/ during a long run: record the code each unit ran.
  const units: { label: string; at: string; commit?: string; srcTree?: string; srcModified?: string[] }[] = [];
  const progress = new Progress(selected.reduce((sum, s) => sum + s.units(options), 0), showProgress, process.stderr, (label) =>
    units.push({ label, at: new Date().toISOString(), ...gitState() }),
  );
  const ctx: BenchContext = { options, progress, shared: new Map() };
  const startedAt = new Date();
  const gitBefore = gitState();
  // The code under test is src/'s tree (a commit that changes only docs does not count).
  const srcVersions = (): string[] => [...new Set(units.map((u) => `src tree ${u.srcTree ?? '?'}${u.srcModified?.length ? ' + uncommitted edits' : ''}`))];
  const loadBefore = loadavg();
  if (options.reps < 3) progress.note(`note: ${options.reps} repetition(s): figures are single runs, not medians of 3`);
  if (loadBefore[0]! > 0.5) {
    progress.note(`note: load average ${loadBefore[0]!.toFixed(2)} at start: other work on this machine skews the figures`);
  }

  const results: CaseResult[] = [];
  for (const scenario of selected) results.push(...(await scenario.run(ctx)));
  progress.finish();

  const cases: CaseReport[] = results.map(aggregate);
  const targets = checkTargets(cases);
  const document = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      gitAtStart: gitBefore,
      gitAtEnd: gitState(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryMiB: Math.round(totalmem() / 2 ** 20),
      freeMemoryMiB: Math.round(freemem() / 2 ** 20),
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
      argv: process.argv.slice(2),
      options,
    },
    cases,
    targets,
    units,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  if (srcVersions().length > 1 || units.some((u) => u.srcModified?.length)) {
    process.stderr.write(`note: src/ changed during the run (${srcVersions().join(', ')}): see "units" in the JSON for which unit ran which code\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  else process.stdout.write(`${renderTable(cases, targets)}\n`);
  process.stderr.write(`results: ${out}\n`);

  const problems = cases.flatMap((c) =>
    Object.entries(c.reps).flatMap(([system, reps]) =>
      reps.flatMap((m, i) => {
        const issues: string[] = [];
        if ((m.lost ?? 0) !== 0) issues.push(`${m.lost} lost`);
        if ((m.refused ?? 0) !== 0) issues.push(`${m.refused} refused`);
        if ((m.failed ?? 0) !== 0) issues.push(`${m.failed} failed`);
        return issues.length > 0 ? [`${c.scenario} ${c.case} ${system} rep ${i + 1}: ${issues.join(', ')}`] : [];
      }),
    ),
  );
  if (problems.length > 0) {
    process.stderr.write(`bench: not every message made it:\n  ${problems.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}

const interrupt = (): void => {
  killAllServers();
  process.exit(130);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

main().catch((err: unknown) => {
  killAllServers();
  process.stderr.write(`\nbench: ${err instanceof FileLimitError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
