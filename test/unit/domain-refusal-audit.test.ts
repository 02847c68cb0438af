import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, AuthFailure } from '../../src/domain/audit.js';
import { FailedAuthLimit } from '../../src/domain/usecases/failed-auth-limit.js';
import { RefusalAudit } from '../../src/domain/usecases/refusal-audit.js';
import { MemoryRateLimit } from '../../src/drivers/limits/memory.js';
import { ManualClock, T0 } from '../helpers/domain.js';

function audit(maxSources: number) {
  const clock = new ManualClock();
  const events: AuditEvent[] = [];
  const refusals = new RefusalAudit(clock, maxSources, (event) => events.push(event));
  const fields = (): Record<string, unknown>[] => events.map((e) => ({ kind: e.kind, ...(JSON.parse(e.fields) as Record<string, unknown>) }));
  return { clock, refusals, events, fields };
}

const bad = (remote: string, more: Partial<AuthFailure> = {}): AuthFailure => ({ scheme: 'hmac', appId: 'app_a', code: 'ERR_AUTH_SIGNATURE', remote, ...more });

test('refusals of one interval: one record per address and code, with the count, the first claim and the span', () => {
  const { clock, refusals, fields } = audit(10);
  refusals.record(bad('10.0.0.1'));
  clock.advance(5);
  refusals.record(bad('10.0.0.1', { appId: 'app_other' }));
  refusals.record(bad('10.0.0.1', { code: 'ERR_AUTH_REPLAY' }));
  clock.advance(5);
  refusals.record(bad('10.0.0.2', { scheme: 'none', appId: undefined, code: 'ERR_AUTH_MISSING' }));
  refusals.record(bad('10.0.0.1'));
  refusals.flush();
  assert.deepEqual(fields(), [
    { kind: 'auth-failure', app: 'app_a', issuer: null, scheme: 'hmac', code: 'ERR_AUTH_SIGNATURE', remote: '10.0.0.1', count: 3, otherClaims: 1, from: T0, to: T0 + 10 },
    { kind: 'replay-refused', app: 'app_a', issuer: null, scheme: 'hmac', code: 'ERR_AUTH_REPLAY', remote: '10.0.0.1', count: 1, otherClaims: 0, from: T0 + 5, to: T0 + 5 },
    { kind: 'auth-failure', app: null, issuer: null, scheme: 'none', code: 'ERR_AUTH_MISSING', remote: '10.0.0.2', count: 1, otherClaims: 0, from: T0 + 10, to: T0 + 10 },
  ]);
});

test('a flood from many addresses writes at most maxSources records plus one per code, and every refusal is counted once', () => {
  const { refusals, events, fields } = audit(3);
  for (let i = 0; i < 10_000; i++) refusals.record(bad(`10.0.${i >> 8}.${i & 255}`, i % 2 ? { code: 'ERR_RATE_LIMITED' } : {}));
  refusals.flush();
  assert.equal(events.length, 3 + 2);
  const all = fields();
  assert.equal(all.reduce((sum, f) => sum + (f.count as number), 0), 10_000);
  assert.deepEqual(all.filter((f) => f.remote === null).map((f) => [f.code, f.count]), [['ERR_RATE_LIMITED', 4999], ['ERR_AUTH_SIGNATURE', 4998]]);
});

test('each interval starts afresh; an interval without refusals writes nothing', () => {
  const { refusals, events } = audit(1);
  refusals.record(bad('10.0.0.1'));
  refusals.flush();
  refusals.flush();
  refusals.record(bad('10.0.0.2'));
  refusals.flush();
  assert.deepEqual(events.map((e) => (JSON.parse(e.fields) as { remote: string }).remote), ['10.0.0.1', '10.0.0.2'], 'the second interval has its own first source');
});

test('failed authentications: past the budget, the address is refused without asking the limit, until the wait has passed', async () => {
  const clock = new ManualClock();
  const failures = new FailedAuthLimit(new MemoryRateLimit({ ratePerSecond: 1, burst: 2 }, clock), clock);
  failures.check('10.0.0.1');
  await failures.failed('10.0.0.1');
  await failures.failed('10.0.0.1');
  failures.check('10.0.0.1');
  await failures.failed('10.0.0.1');
  assert.throws(() => failures.check('10.0.0.1'), (err: { code?: string; retryAfterSeconds?: number }) => err.code === 'ERR_RATE_LIMITED' && err.retryAfterSeconds === 1);
  failures.check('10.0.0.2');
  clock.advance(999);
  assert.throws(() => failures.check('10.0.0.1'), { code: 'ERR_RATE_LIMITED' });
  clock.advance(1);
  failures.check('10.0.0.1');
});
