import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The benchmark suite's own smoke test: `npm run bench` end to end with tiny counts (every
 * server in its own process, real clients in load agents, the real SDK for sealpush). It
 * asserts that nothing was lost and that the result file is well formed; never a timing.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'bench/main.ts');

function runBench(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

interface Metric {
  key: string;
  values: Record<string, number>;
  ratios: Record<string, number>;
}
interface Case {
  scenario: string;
  case: string;
  subject: string;
  baselines: string[];
  metrics: Metric[];
  reps: Record<string, Record<string, number>[]>;
}
interface Results {
  meta: { node: string; cpus: number; options: { reps: number } };
  cases: Case[];
  targets: { name: string; status: string }[];
}

describe('npm run bench (smoke: tiny counts)', () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let results: Results;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealpush-bench-smoke-'));
    const out = join(dir, 'results.json');
    run = await runBench(['unicast', 'store', 'commits', 'cohort', 'webhooks', '--clients', '20', '--messages', '500', '--reps', '1', '--out', out, '--no-progress']);
    assert.equal(run.code, 0, `bench exited with ${run.code}:\n${run.stderr}`);
    results = JSON.parse(readFileSync(out, 'utf8')) as Results;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every server delivered every message: lost 0, refused 0, no duplicates', () => {
    const unicast = results.cases.filter((c) => c.scenario === 'unicast');
    assert.deepEqual(unicast.map((c) => c.case).sort(), ['C=20 batch 100/req', 'C=20 single 1/req']);
    for (const c of unicast) {
      assert.deepEqual(Object.keys(c.reps).sort(), ['bare-ws', 'sealpush', 'socketio'], c.case);
      for (const [server, reps] of Object.entries(c.reps)) {
        assert.equal(reps.length, 1);
        const m = reps[0]!;
        assert.deepEqual(
          [m.sent, m.accepted, m.delivered, m.lost, m.refused, m.duplicates],
          [500, 500, 500, 0, 0, 0],
          `${c.case} ${server}`,
        );
      }
    }
  });

  test('the result file is well formed: every figure and ratio a finite number', () => {
    assert.equal(results.meta.options.reps, 1);
    assert.ok(results.meta.node.startsWith('v'));
    assert.ok(results.cases.length >= 2 + 6, 'unicast (2 cases) and store (6 cases)');
    for (const c of results.cases) {
      assert.ok(c.metrics.length > 0, c.case);
      for (const m of c.metrics) {
        for (const system of [c.subject, ...c.baselines]) {
          assert.ok(Number.isFinite(m.values[system]), `${c.scenario} ${c.case} ${m.key} ${system}: ${m.values[system]}`);
        }
        if (m.key !== 'lost') {
          // A baseline can measure 0 at these tiny counts (CPU time is read in 10 ms ticks):
          // its ratio is then infinite, which is the measurement, not a bug in the report.
          for (const b of c.baselines) {
            if (m.values[b] !== 0) assert.ok(Number.isFinite(m.ratios[b]), `${c.case} ${m.key} ratio to ${b}: ${m.ratios[b]}`);
          }
        }
      }
    }
    const store = results.cases.filter((c) => c.scenario === 'store');
    assert.equal(store.length, 6);
    for (const c of store) assert.deepEqual([c.subject, c.baselines], ['sealpush-store', ['bare-sqlite']]);
    const spaced = results.cases.filter((c) => c.scenario === 'commits');
    assert.deepEqual(spaced.map((c) => [c.subject, c.baselines]), [['spaced', ['unspaced']]]);
    const perCommit = spaced[0]!.metrics.find((m) => m.key === 'msgsPerCommit')!;
    assert.ok(perCommit.values['spaced']! > 1, `spaced commits group single publishes: ${perCommit.values['spaced']} per commit`);
    const cohort = results.cases.filter((c) => c.scenario === 'cohort');
    assert.deepEqual(cohort.map((c) => c.case), ['K=16 C=20', 'K=64 C=20', 'K=256 C=20', 'K=10000 C=20']);
    for (const c of cohort) {
      assert.deepEqual([c.subject, c.baselines], ['sealpush-cohort', ['sealpush-direct']]);
      const bytes = c.metrics.find((m) => m.key === 'bytesPerClientTick')!;
      assert.ok(bytes.values['sealpush-cohort']! > bytes.values['sealpush-direct']!, `${c.case}: an envelope per client costs more bytes than direct frames`);
    }
    const hooks = results.cases.filter((c) => c.scenario === 'webhooks');
    assert.deepEqual(hooks.map((c) => [c.subject, c.baselines]), [['webhooks', ['none']], ['batch', ['single']]]);
    const perAck = hooks[0]!.metrics.find((m) => m.key === 'cpuUsPerAck')!;
    assert.ok(perAck.values['webhooks']! > 0 && perAck.values['none']! > 0);
    const sent = hooks[1]!.metrics.find((m) => m.key === 'eventsPerSec')!;
    assert.ok(sent.values['batch']! > 0 && sent.values['single']! > 0, 'both drained their outbox');
    assert.ok(results.targets.some((t) => t.name === 'lost = 0' && t.status === 'pass'));
    assert.ok(results.targets.every((t) => t.name !== 'lost = 0' || t.status === 'pass'));
  });

  test('the table on stdout names every server and the ratios', () => {
    for (const word of ['sealpush', 'bare-ws', 'socketio', 'vs bare-ws', 'vs socketio', 'bare-sqlite', 'vs unspaced', 'sealpush-cohort', 'vs sealpush-direct']) {
      assert.ok(run.stdout.includes(word), `table lacks "${word}"`);
    }
  });

  test('--help describes every scenario; a bad option is a usage error', async () => {
    const help = await runBench(['--help'], 30_000);
    assert.equal(help.code, 0);
    for (const s of ['unicast', 'burst', 'latency', 'idle', 'handshake', 'store', 'commits', 'cohort', 'webhooks', '--quick', '--reps', '--out']) {
      assert.ok(help.stdout.includes(s), `help lacks ${s}`);
    }
    const bad = await runBench(['no-such-scenario'], 30_000);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown scenario/);
  });
});
