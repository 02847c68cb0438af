import type { Kms } from '../ports/kms.js';
import type { KeyVault } from '../ports/key-vault.js';
import type { Clock } from '../ports/runtime.js';

export interface KeyMaterial {
  readonly publicKey: Uint8Array;
  readonly secret: Uint8Array;
}

/** The KMS context of a server key's secret half. */
export function serverKeyContext(purpose: string): string {
  return `server-key:${purpose}`;
}

/**
 * Loads the server's long-lived key for `purpose`, creating it on first use. The secret
 * half is stored wrapped by the KMS; when two processes start at once, both end up with
 * the one that was stored first.
 */
export async function loadOrCreateServerKey(
  purpose: string,
  deps: { store: Pick<KeyVault, 'getServerKey' | 'putServerKeyIfAbsent'>; kms: Kms; clock: Clock; generate: () => KeyMaterial },
): Promise<KeyMaterial> {
  const context = serverKeyContext(purpose);
  let stored = await deps.store.getServerKey(purpose);
  if (!stored) {
    const fresh = deps.generate();
    stored = await deps.store.putServerKeyIfAbsent({
      purpose,
      version: 1,
      publicKey: fresh.publicKey,
      wrappedSecret: await deps.kms.wrap(fresh.secret, context),
      createdAt: deps.clock.now(),
    });
  }
  return { publicKey: stored.publicKey, secret: await deps.kms.unwrap(stored.wrappedSecret, context) };
}
