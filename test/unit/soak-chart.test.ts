// The soak's chart and metrics reading (chaos/soak/chart.ts, sampler.ts): axes that cover the
// data, a line per series broken where a sample is missing, and the node's metrics found by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChart, ticks } from '../../chaos/soak/chart.js';
import { readMetrics } from '../../chaos/soak/sampler.js';

test('ticks are round and cover the range, its maximum included', () => {
  assert.deepEqual(ticks(0, 289, 4), [0, 100, 200, 300]);
  assert.deepEqual(ticks(0, 60, 10), [0, 10, 20, 30, 40, 50, 60]);
  assert.deepEqual(ticks(0, 1.2, 4), [0, 0.5, 1, 1.5]);
  for (const max of [7, 13, 99, 101, 275, 999, 4321]) assert.ok(ticks(0, max, 4).at(-1)! >= max, `${max}`);
});

test('a chart has a titled panel per metric, a line per series, and breaks a line at a missing sample', () => {
  const points = [0, 5, 10, 15].map((t) => ({ t, v: t === 10 ? Number.NaN : 100 + t }));
  const svg = renderChart('a <soak> & more', [
    { title: 'Resident memory', unit: 'MiB', series: [{ label: 'node', color: '#00f', points }] },
    { title: 'Open handles', unit: 'count', series: [{ label: 'fds', color: '#0f0', points: points.map((p) => ({ t: p.t, v: 3 })) }] },
  ], 15);
  assert.match(svg, /^<svg [^>]*viewBox/);
  assert.ok(svg.includes('a &lt;soak&gt; &amp; more'), 'the title is escaped');
  assert.ok(svg.includes('Resident memory (MiB)') && svg.includes('Open handles (count)'));
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3, 'the NaN splits the first line in two');
  assert.ok(!svg.includes('NaN'), 'no NaN coordinate is written');
});

test('metrics are read by exact name from Prometheus text, labelled lines and comments ignored', () => {
  const text = [
    '# HELP sealpush_connections WebSocket connections',
    '# TYPE sealpush_connections gauge',
    'sealpush_connections 198',
    'nodejs_eventloop_lag_p99_seconds 0.0421',
    'nodejs_active_handles{type="Socket"} 190',
    'nodejs_active_handles_total 250',
  ].join('\n');
  assert.deepEqual(readMetrics(text, ['sealpush_connections', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles_total', 'absent']), {
    sealpush_connections: 198, nodejs_eventloop_lag_p99_seconds: 0.0421, nodejs_active_handles_total: 250,
  });
});
