import { SealPushError } from './errors.js';
import type { CohortSettings, DeliverySettings } from './types.js';

/**
 * How an app's messages reach its clients (docs/cohort.md): `direct`, each client's messages
 * as soon as they are committed, or `cohort`, every connected client of the app on a node in
 * groups of at most `cohortSize`, one envelope per group on every tick.
 */
export const DIRECT_DELIVERY: DeliverySettings = { mode: 'direct' };

/**
 * The largest message a slot must be able to hold: one DELIVER of one message with the
 * largest id and data (3 + 21 + 255 + 65,536 bytes) plus the slot's own 44, rounded up.
 * Cohort mode never refuses what direct mode accepts.
 */
export const MIN_LARGEST_SLOT_BYTES = 66_048;

/** The defaults of `--delivery cohort`, each a named option. */
export const DEFAULT_COHORT: CohortSettings = {
  tickMs: 1000,
  cohortSize: 64,
  slotBytes: [256, 1024, 4096, 16_384, MIN_LARGEST_SLOT_BYTES],
  slotCounts: [8, 16, 32, 64],
};

/** Bounds of each option: inclusive. */
export const COHORT_LIMITS = {
  tickMs: [50, 60_000],
  cohortSize: [1, 65_535],
  slotBytes: [64, 16_777_216],
  slotCounts: [1, 65_535],
} as const;

function bad(message: string): SealPushError {
  return new SealPushError('ERR_BAD_REQUEST', message);
}

function integerIn(name: keyof typeof COHORT_LIMITS, value: unknown): number {
  const [min, max] = COHORT_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function buckets(name: 'slotBytes' | 'slotCounts', value: unknown): number[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 16) throw bad(`${name} must be a list of 1 to 16 integers`);
  const list = value.map((item) => integerIn(name, item));
  for (let i = 1; i < list.length; i++) {
    if (list[i]! <= list[i - 1]!) throw bad(`${name} must be strictly increasing`);
  }
  return list;
}

/**
 * Checks untrusted cohort options (from the CLI, the config file or the store) over a base
 * (the defaults, or the app's current settings); throws ERR_BAD_REQUEST naming the option.
 */
export function cohortDelivery(options: Partial<Record<keyof CohortSettings, unknown>>, base: CohortSettings = DEFAULT_COHORT): DeliverySettings {
  const settings: CohortSettings = {
    tickMs: integerIn('tickMs', options.tickMs ?? base.tickMs),
    cohortSize: integerIn('cohortSize', options.cohortSize ?? base.cohortSize),
    slotBytes: buckets('slotBytes', options.slotBytes ?? base.slotBytes),
    slotCounts: buckets('slotCounts', options.slotCounts ?? base.slotCounts),
  };
  if (settings.slotBytes[settings.slotBytes.length - 1]! < MIN_LARGEST_SLOT_BYTES) {
    throw bad(`the largest of slotBytes must be at least ${MIN_LARGEST_SLOT_BYTES}, to hold the largest message`);
  }
  if (settings.slotCounts[settings.slotCounts.length - 1]! < settings.cohortSize) {
    throw bad('the largest of slotCounts must be at least cohortSize: every member needs a slot');
  }
  return { mode: 'cohort', ...settings };
}

/** Parses settings as stored (JSON); anything unreadable is an error of the store, not input. */
export function parseDeliverySettings(value: unknown): DeliverySettings {
  if (typeof value !== 'object' || value === null) throw bad('delivery settings must be an object');
  const { mode, ...rest } = value as Record<string, unknown>;
  if (mode === 'direct') return DIRECT_DELIVERY;
  if (mode === 'cohort') return cohortDelivery(rest);
  throw bad('delivery must be "direct" or "cohort"');
}
