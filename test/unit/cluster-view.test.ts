import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterView } from '../../src/domain/usecases/cluster-view.js';
import type { NodeReport } from '../../src/domain/ports/node-reports.js';

const S = 1_700_000_000; // a second since the epoch

function report(nodeId: string, changes: Partial<NodeReport> = {}): NodeReport {
  return {
    nodeId,
    startedAt: (S - 60) * 1000,
    at: S * 1000 + 500,
    connections: 0,
    appConnections: {},
    endsAtSecond: S,
    published: [0, 0, 0],
    delivered: [0, 0, 0],
    authFailures: [],
    auditVerification: null,
    ...changes,
  };
}

test('one node: its own figures', () => {
  const view = clusterView(report('a', { connections: 3, appConnections: { app_1: 2 }, published: [1, 2, 3] }), []);
  assert.equal(view.connections, 3);
  assert.deepEqual([...view.appConnections], [['app_1', 2]]);
  assert.deepEqual(view.nodes.map((n) => [n.nodeId, n.self, n.connections, n.uptimeSeconds]), [['a', true, 3, 60]]);
  assert.deepEqual(view.throughput(3).published, [1, 2, 3]);
  assert.deepEqual(view.throughput(5).published, [0, 0, 1, 2, 3], 'older than any report: zero');
});

test('several nodes: connections and per-app counts summed; this node replaces its own stale report', () => {
  const self = report('b', { connections: 2, appConnections: { app_1: 1, app_2: 1 } });
  const others = [report('a', { connections: 5, appConnections: { app_1: 5 } }), report('b', { connections: 99, appConnections: { app_1: 99 } })];
  const view = clusterView(self, others);
  assert.equal(view.connections, 7);
  assert.deepEqual(Object.fromEntries(view.appConnections), { app_1: 6, app_2: 1 });
  assert.deepEqual(view.nodes.map((n) => [n.nodeId, n.self]), [['a', false], ['b', true]]);
});

test('series are aligned by their second: a report a second old lands one bucket to the left', () => {
  const self = report('a', { published: [1, 1, 1], delivered: [0, 0, 4] });
  const older = report('b', { endsAtSecond: S - 1, published: [10, 20, 30], delivered: [0, 7, 0] });
  const series = clusterView(self, [older]).throughput(3);
  assert.deepEqual(series.published, [21, 31, 1]);
  assert.deepEqual(series.delivered, [7, 0, 4]);
  assert.equal(series.endsAt, new Date(S * 1000).toISOString());
  // A report from a node whose clock runs ahead: its future seconds are not shown.
  const ahead = report('c', { endsAtSecond: S + 1, published: [100, 200, 300] });
  assert.deepEqual(clusterView(self, [ahead]).throughput(3).published, [1, 101, 201]);
});

test('auth failures merged newest first, cut to the limit; the newest verification wins', () => {
  const failure = (at: number, code: string) => ({ at: new Date(at).toISOString(), code, scheme: 'none' as const, appId: null, issuer: null, remote: '127.0.0.1' });
  const verified = (at: number) => ({ state: 'verified' as const, at: new Date(at).toISOString(), headSeq: at, records: at, checkpoints: 1 });
  const view = clusterView(
    report('a', { authFailures: [failure(30, 'A3'), failure(10, 'A1')], auditVerification: verified(5) }),
    [report('b', { authFailures: [failure(20, 'B2')], auditVerification: verified(9) }), report('c')],
  );
  assert.deepEqual(view.authFailures(10).map((f) => f.code), ['A3', 'B2', 'A1']);
  assert.deepEqual(view.authFailures(2).map((f) => f.code), ['A3', 'B2']);
  assert.equal(view.auditVerification?.headSeq, 9);
  assert.equal(clusterView(report('a'), []).auditVerification, null);
});
