import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_COHORT,
  DIRECT_DELIVERY,
  MIN_LARGEST_SLOT_BYTES,
  cohortDelivery,
  parseDeliverySettings,
} from '../../src/domain/delivery-settings.js';

test('cohort delivery takes the documented defaults, and each option given replaces only itself', () => {
  assert.deepEqual(cohortDelivery({}), { mode: 'cohort', ...DEFAULT_COHORT });
  assert.deepEqual(cohortDelivery({ tickMs: 250 }), { mode: 'cohort', ...DEFAULT_COHORT, tickMs: 250 });
  const base = { ...DEFAULT_COHORT, cohortSize: 8, slotCounts: [8] };
  assert.deepEqual(cohortDelivery({ tickMs: 500 }, base), { mode: 'cohort', ...base, tickMs: 500 });
});

test('every bad cohort option is refused with ERR_BAD_REQUEST naming it', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ tickMs: 10 }, /tickMs/],
    [{ tickMs: 1000.5 }, /tickMs/],
    [{ tickMs: '1000' }, /tickMs/],
    [{ cohortSize: 0 }, /cohortSize/],
    [{ cohortSize: 70_000 }, /cohortSize/],
    [{ slotBytes: [] }, /slotBytes/],
    [{ slotBytes: [1024, 256, MIN_LARGEST_SLOT_BYTES] }, /slotBytes must be strictly increasing/],
    [{ slotBytes: [32, MIN_LARGEST_SLOT_BYTES] }, /slotBytes/],
    [{ slotBytes: [256, 4096] }, /largest of slotBytes/],
    [{ slotCounts: [4, 16] }, /largest of slotCounts must be at least cohortSize/],
    [{ slotCounts: 'many' }, /slotCounts/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => cohortDelivery(options), (err: unknown) => {
      const e = err as { code?: string; message?: string };
      return e.code === 'ERR_BAD_REQUEST' && message.test(e.message ?? '');
    }, JSON.stringify(options));
  }
});

test('stored settings parse back to what was stored; anything else is refused', () => {
  const cohort = cohortDelivery({ cohortSize: 16, slotCounts: [4, 16] });
  assert.deepEqual(parseDeliverySettings(JSON.parse(JSON.stringify(cohort))), cohort);
  assert.deepEqual(parseDeliverySettings({ mode: 'direct' }), DIRECT_DELIVERY);
  for (const bad of [null, 'cohort', { mode: 'broadcast' }, { mode: 'cohort', tickMs: -1 }]) {
    assert.throws(() => parseDeliverySettings(bad), { code: 'ERR_BAD_REQUEST' });
  }
});
