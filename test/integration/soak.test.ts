// The short form of `npm run soak` (docs/reliability.md, "Soak"): the command itself, for about
// a minute of load (a 5-s ramp, then 36 s steady), on a real node with churning SDK clients. It must
// take samples, write its JSON result and its chart, deliver every accepted message once and in
// order, and compute the memory verdict over the run's last 75%. Whether a minute's RSS is flat
// is not asserted: a node's first minutes warm up (the soak's verdict is for the full hour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import type { SoakResult } from '../../chaos/soak/scenario.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('npm run soak, short: samples, a chart, nothing lost, a memory verdict', { timeout: 420_000 }, async () => {
  const dir = tempDir('sealpush-soak-test-');
  try {
    const json = join(dir, 'soak.json');
    const chart = join(dir, 'soak.svg');
    const run = await runCommand(
      [process.execPath, '--import', 'tsx', 'chaos/soak/main.ts', '--minutes', '0.6', '--ramp-seconds', '5', '--clients', '24', '--churn', '4', '--sample-seconds', '2', '--json', json, '--chart', chart, '--quiet'],
      { cwd: ROOT },
    );
    assert.ok(existsSync(json), `no JSON result: ${run.err}\n${run.out}`);
    const result = JSON.parse(readFileSync(json, 'utf8')) as SoakResult;
    const summary = `${run.out}\n${JSON.stringify(result.problems)}`;

    assert.ok(result.maxRate! > 0 && result.rate === Math.max(1, Math.round(result.maxRate! / 2)), 'the rate is half of the ramp\'s');
    assert.ok(result.accepted > 0 && result.delivered >= result.accepted, summary);
    assert.deepEqual([result.history.lost.count, result.history.duplicated.count, result.history.unexpected.count, result.history.reordered.count], [0, 0, 0, 0], summary);
    assert.equal(result.drained, true);
    assert.deepEqual([result.publishErrors, result.clientErrors, result.nodeErrors], [{}, [], []], summary);
    assert.ok(result.churn.resumed > 0 && result.churn.replaced > 0 && result.churn.joined === result.churn.replaced, 'clients left, resumed and joined');
    assert.equal(result.handles.back, true, `fds ${result.handles.baseFds} -> ${result.handles.endFds}, handles ${result.handles.baseHandles} -> ${result.handles.endHandles}`);

    const steady = result.samples.filter((s) => s.phase === 'steady');
    assert.ok(steady.length >= 5, `${steady.length} steady samples`);
    for (const s of steady) assert.ok(s.rssMiB > 0 && s.heapUsedMiB > 0 && s.fds > 0 && s.connections > 0 && s.loopDelayP99Ms >= 0, JSON.stringify(s));
    assert.ok(steady.some((s) => s.latencyP99Ms > 0), 'latencies recorded');

    const { memory } = result;
    assert.ok(Number.isFinite(memory.slope) && Number.isFinite(memory.residualSd), 'a line was fitted');
    assert.ok(memory.points >= 3 && memory.points < steady.length, 'over the last 75% of the steady samples');
    assert.equal(memory.passed, memory.growthMiB < memory.allowedMiB);
    assert.equal(result.passed, result.problems.length === 0);
    assert.equal(run.code, result.passed ? 0 : 1, 'the exit status says the verdict');

    const svg = readFileSync(chart, 'utf8');
    assert.match(svg, /^<svg /);
    for (const title of ['Resident memory', 'Open handles', 'Event-loop delay p99', 'latency']) assert.ok(svg.includes(title), title);
    assert.ok((svg.match(/<polyline /g) ?? []).length >= 7, 'a line per series');
    assert.match(run.out, /verdict\s+(PASS|FAIL)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
