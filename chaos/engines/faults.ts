/**
 * The ways the engines-mysql scenario breaks the path from a node to its MariaDB, as a table:
 * each kind breaks it and heals it again. Restarts heal as soon as the server is back; the
 * others hold the fault for `holdMs` (longer than the driver's timeouts) before healing.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { OwnMariaDb } from '../../test/helpers/mariadb-server.js';
import type { TcpProxy } from '../../test/helpers/tcp-proxy.js';

export interface FaultTarget {
  readonly db: OwnMariaDb;
  /** Between the node and `db`: SEALPUSH_STORE points at it. */
  readonly proxy: TcpProxy;
}

export interface FaultKind {
  readonly name: string;
  /** Breaks the path, keeps it broken as the kind says, and heals it; resolves once healed. */
  apply(target: FaultTarget, holdMs: number): Promise<void>;
}

export const FAULT_KINDS: readonly FaultKind[] = [
  {
    name: 'restart (SIGTERM)',
    apply: async ({ db }) => {
      await db.stop();
      await db.start();
    },
  },
  {
    name: 'restart (kill -9)',
    apply: async ({ db }) => {
      await db.kill();
      await db.start();
    },
  },
  {
    name: 'SIGSTOP',
    apply: async ({ db }, holdMs) => {
      db.pause();
      await pause(holdMs);
      db.resume();
    },
  },
  {
    name: 'proxy RST',
    apply: async ({ proxy }, holdMs) => {
      proxy.reset();
      await pause(holdMs);
      await proxy.restore();
    },
  },
  {
    name: 'proxy blackhole',
    apply: async ({ proxy }, holdMs) => {
      proxy.hang();
      await pause(holdMs);
      await proxy.restore();
    },
  },
];
