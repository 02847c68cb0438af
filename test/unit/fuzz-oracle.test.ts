// The fuzzer's oracle (chaos/fuzz/oracle.ts) must fail on each thing it exists to catch: were it
// to pass everything, the fuzz run in `npm test` would prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Oracle, type CaseRef, type HttpAnswer } from '../../chaos/fuzz/oracle.js';
import { parseAnswer } from '../../chaos/fuzz/raw-http.js';

const ref: CaseRef = { target: 'rest', seed: 1, index: 42, label: 'POST /v1/messages publish signed right' };
const answer = (status: number, body: unknown): HttpAnswer => ({ kind: 'response', status, body: JSON.stringify(body), head: false });
const error = (code: string): unknown => ({ error: { code, message: 'm' } });

function verdict(judge: (oracle: Oracle) => void): Oracle {
  const oracle = new Oracle();
  judge(oracle);
  return oracle;
}

test('catalogue refusals, acceptances and a hang-up owed nothing pass, counted by code', () => {
  const oracle = verdict((o) => {
    o.judgeHttp(ref, answer(401, error('ERR_AUTH_MISSING')));
    o.judgeHttp(ref, answer(413, error('ERR_TOO_LARGE')));
    o.judgeHttp(ref, answer(202, { id: 'x', status: 'queued' }));
    o.judgeHttp(ref, { kind: 'closed' }, true);
    o.judgeClose({ ...ref, target: 'ws' }, 4100, 'ERR_FRAME', false);
    o.judgeClose({ ...ref, target: 'ws' }, 4501, 'ERR_PROTOCOL 3q2-7wYh', false);
    o.judgeClose({ ...ref, target: 'ws' }, 1009, '', false);
    o.judgeClose({ ...ref, target: 'ws' }, 1000, '', true);
    o.judgeProcess(ref, true, 200);
    o.judgeMemory(ref, 100 << 20, 200 << 20, 150 << 20);
  });
  assert.equal(oracle.passed, true, JSON.stringify(oracle.findings));
  assert.deepEqual(Object.fromEntries(oracle.refusals), { ERR_AUTH_MISSING: 1, ERR_TOO_LARGE: 2, ERR_FRAME: 1, ERR_PROTOCOL: 1 });
  assert.deepEqual([oracle.accepted, oracle.hungUp], [2, 1]);
});

test('each kind of failure is a finding that names the case to replay', () => {
  const cases: [string, (o: Oracle) => void, string][] = [
    ['a 500', (o) => o.judgeHttp(ref, answer(500, error('ERR_INTERNAL'))), '5xx'],
    ['a 503', (o) => o.judgeHttp(ref, answer(503, error('ERR_UNAVAILABLE'))), '5xx'],
    ['an unknown code', (o) => o.judgeHttp(ref, answer(400, error('ERR_MADE_UP'))), 'non-catalogue'],
    ['a code under another status', (o) => o.judgeHttp(ref, answer(400, error('ERR_NOT_FOUND'))), 'non-catalogue'],
    ['a 400 that is not JSON', (o) => o.judgeHttp(ref, { kind: 'response', status: 400, body: 'Bad Request', head: false }), 'non-catalogue'],
    ['no answer', (o) => o.judgeHttp(ref, { kind: 'closed' }), 'no-answer'],
    ['a timeout', (o) => o.judgeHttp(ref, { kind: 'timeout' }, true), 'hang'],
    ['close 1011', (o) => o.judgeClose(ref, 1011, 'ERR_INTERNAL', false), 'bad-close'],
    ['close 1006 (no close frame)', (o) => o.judgeClose(ref, 1006, '', false), 'bad-close'],
    ['close 1007', (o) => o.judgeClose(ref, 1007, '', false), 'bad-close'],
    ['a close code with another code as reason', (o) => o.judgeClose(ref, 4100, 'ERR_PROTOCOL', false), 'bad-close'],
    ['an unknown 4xxx close', (o) => o.judgeClose(ref, 4999, 'ERR_X', false), 'bad-close'],
    ['a dead process', (o) => o.judgeProcess(ref, false, undefined), 'crash'],
    ['a failing /healthz', (o) => o.judgeProcess(ref, true, 503), 'unhealthy'],
    ['RSS past the bound', (o) => o.judgeMemory(ref, 100 << 20, 300 << 20, 150 << 20), 'memory'],
    ['a failed SDK round trip', (o) => o.judgeHealthy(ref, false, 'no message'), 'unhealthy'],
  ];
  for (const [what, judge, kind] of cases) {
    const oracle = verdict(judge);
    assert.equal(oracle.passed, false, what);
    assert.deepEqual([oracle.findings[0]?.kind, oracle.findings[0]?.seed, oracle.findings[0]?.index], [kind, 1, 42], what);
  }
  assert.equal(verdict((o) => o.judgeProcess(ref, false, undefined)).crashes, 1);
  assert.equal(verdict((o) => o.judgeHttp(ref, answer(502, {}))).status5xx, 1);
});

test('a raw answer is read by its Content-Length or chunks; nothing before a status line is no answer', () => {
  const raw = (text: string): Buffer => Buffer.from(text, 'latin1');
  assert.deepEqual(parseAnswer(raw('HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 400 Bad'), false), { kind: 'response', status: 401, body: '{}', head: false });
  assert.deepEqual(parseAnswer(raw('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{"\r\n1\r\n}\r\n0\r\n\r\n'), false), { kind: 'response', status: 200, body: '{"}', head: false });
  assert.deepEqual(parseAnswer(raw(''), false), { kind: 'closed' });
  assert.deepEqual(parseAnswer(raw('garbage'), false), { kind: 'closed' });
});
