/**
 * The disk-full runs, as data: what fills up first depends on the sizes. The node checkpoints
 * its WAL only past 64 MiB (SqliteStoreOptions.walCheckpointPages), so on a disk smaller than
 * that the WAL is what fills; on a larger one, with a client offline (its messages keep their
 * data), the database file grows at each checkpoint until a checkpoint runs out of room.
 */
import type { DiskFullOptions } from './scenario.js';

export interface DiskFullVariant {
  /** Its name in the summary table. */
  readonly name: string;
  readonly options: Omit<DiskFullOptions, 'onPhase'>;
}

const COMMON = { publishers: 4, phaseMs: 60_000 } as const;

/** The WAL fills: a small tmpfs, a client online acking as messages arrive. */
export function walFills(quick: boolean): DiskFullVariant {
  const smallKiB = quick ? 6 * 1024 : 32 * 1024;
  return {
    name: `sqlite, WAL fills ${smallKiB / 1024} MiB`,
    options: {
      ...COMMON, smallKiB, grownKiB: 128 * 1024, dataBytes: 2000, clientOffline: false,
      fullAfterRefusals: quick ? 40 : 200, fullForMs: quick ? 1000 : 5000,
    },
  };
}

/** A checkpoint runs out of room: 96 MiB, 48 KB messages to a client that resumes afterwards. */
export function checkpointFills(quick: boolean): DiskFullVariant {
  return {
    name: 'sqlite, checkpoint fills 96 MiB',
    options: {
      ...COMMON, smallKiB: 96 * 1024, grownKiB: 256 * 1024, dataBytes: 48_000, clientOffline: true,
      fullAfterRefusals: quick ? 40 : 200, fullForMs: quick ? 1000 : 5000,
    },
  };
}

export function diskFullVariants(quick: boolean): DiskFullVariant[] {
  return [walFills(quick), checkpointFills(quick)];
}
