/**
 * `sealpush keys rotate` (docs/keys.md): a new master key version, every wrapped blob moved
 * onto it while servers keep running, then the old versions retired.
 *
 * Online safety: blobs are re-wrapped in small batches, each row by compare-and-set on its old
 * blob, so a concurrent writer's change is never overwritten (the next pass sees it). Servers
 * wrap new blobs under the new version as soon as it is in the key store; a blob they wrapped
 * just before is found by the passes, which repeat until one finds nothing left. Resumable: an
 * interrupted run leaves the rotation marked in the key store, and the next run continues it
 * without adding a version.
 */
import type { Kms, MasterKeyRing } from '../ports/kms.js';
import type { KeyVault } from '../ports/key-vault.js';
import type { WrappedColumn } from '../types.js';
import { appSecretContext, jwtSecretContext } from './apps.js';
import { serverKeyContext } from './server-keys.js';
import { webhookSecretContext } from './webhook-endpoints.js';
import { errorMessage } from '../errors.js';

/**
 * Every column of KMS-wrapped blobs, with the context each row's blob was wrapped for. A new
 * wrapped column (per-client data keys, say) is one more entry here and in the store drivers.
 */
export const WRAPPED_COLUMNS: readonly { readonly column: WrappedColumn; context(key: readonly (string | number)[]): string }[] = [
  { column: 'apps.wrapped_secret', context: ([appId]) => appSecretContext(String(appId)) },
  // A rotated-out secret keeps the context it was wrapped for (apps rotate-secret moves the blob).
  { column: 'apps.previous_wrapped_secret', context: ([appId]) => appSecretContext(String(appId)) },
  { column: 'webhook_endpoints.wrapped_secret', context: ([id]) => webhookSecretContext(String(id)) },
  { column: 'webhook_endpoints.previous_wrapped_secret', context: ([id]) => webhookSecretContext(String(id)) },
  { column: 'server_keys.wrapped_secret', context: ([purpose]) => serverKeyContext(String(purpose)) },
  { column: 'app_jwt_keys.key_material', context: ([issuer, kid]) => jwtSecretContext(String(issuer), String(kid)) },
];

export interface RotationProgress {
  /** Blobs re-wrapped so far by this run. */
  readonly done: number;
  /** Blobs known to need it (grows if servers wrap under the old version meanwhile). */
  readonly total: number;
}

export interface RotationReport {
  readonly version: number;
  /** False when this run finished a rotation an earlier run had started. */
  readonly addedVersion: boolean;
  readonly rewrapped: number;
  readonly retired: readonly number[];
}

export interface RotationDeps {
  readonly store: Pick<KeyVault, 'wrappedBlobs' | 'replaceWrappedBlobs'>;
  readonly kms: Kms;
  readonly ring: MasterKeyRing;
  /** Rows read (and at most re-wrapped) per transaction. */
  readonly batchSize: number;
  /**
   * Waited once, after a pass found nothing left and before the last check: long enough for
   * a wrap a server began before it saw the new version to reach the store.
   */
  readonly settle: () => Promise<void>;
  readonly onProgress?: (progress: RotationProgress) => void;
  /** After each committed batch (with the running total): a test hook stops the run here. */
  readonly onBatch?: (done: number) => void | Promise<void>;
}

export async function rotateMasterKey(deps: RotationDeps): Promise<RotationReport> {
  const state = await deps.ring.beginRotation();
  try {
    const run = { current: state.current, done: 0, total: 0 };
    run.total = await scan(deps, run, false);
    deps.onProgress?.({ done: 0, total: run.total });
    while ((await scan(deps, run, true)) > 0);
    await deps.settle();
    while ((await scan(deps, run, true)) > 0);
    const retired = await deps.ring.retire();
    // Belt and braces: anything that still named a retired version is moved with the keys
    // this process holds in memory.
    while ((await scan(deps, run, true)) > 0);
    return { version: state.current, addedVersion: !state.resumed, rewrapped: run.done, retired };
  } finally {
    await deps.ring.release();
  }
}

/** One pass over every wrapped column; re-wraps what is not under `current` when asked. Returns how many were not. */
async function scan(deps: RotationDeps, run: { current: number; done: number; total: number }, rewrap: boolean): Promise<number> {
  let stale = 0;
  for (const { column, context } of WRAPPED_COLUMNS) {
    let after: readonly (string | number)[] | null = null;
    for (;;) {
      const page = await deps.store.wrappedBlobs(column, after, deps.batchSize);
      if (page.length === 0) break;
      after = page[page.length - 1]!.key;
      const changes = [];
      for (const { key, blob } of page) {
        try {
          if (deps.ring.versionOf(blob) === run.current) continue;
          stale++;
          if (!rewrap) continue;
          const plaintext = await deps.kms.unwrap(blob, context(key));
          changes.push({ key, expected: blob, replacement: await deps.kms.wrap(plaintext, context(key)) });
          plaintext.fill(0);
        } catch (err) {
          // Names the row, so an operator can find the one blob that stops the rotation.
          throw new Error(`${column} of ${JSON.stringify(key)}: ${errorMessage(err)}`);
        }
      }
      if (changes.length === 0) continue;
      run.done += await deps.store.replaceWrappedBlobs(column, changes);
      run.total = Math.max(run.total, run.done);
      deps.onProgress?.({ done: run.done, total: run.total });
      await deps.onBatch?.(run.done);
    }
  }
  return stale;
}
