import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LocalKms } from '../../src/drivers/kms/local.js';
import { auditPublicKeyFromSecret, generateAuditKeyPair } from '../../src/crypto/node/audit.js';
import { fingerprint } from '../../src/crypto/node/keys.js';
import { AUDIT_KEY_PURPOSE } from '../../src/domain/audit.js';
import { anchorAuditKeys, type AnchorDeps } from '../../src/domain/usecases/audit-anchor.js';
import { serverKeyContext } from '../../src/domain/usecases/server-keys.js';
import type { StoredServerKey } from '../../src/domain/types.js';

const CONTEXT = serverKeyContext(AUDIT_KEY_PURPOSE);
const kms = new LocalKms(new Map([[1, randomBytes(32)]]));
const otherKms = new LocalKms(new Map([[1, randomBytes(32)]]));

/** A stored audit key version as this installation makes it: the secret wrapped by `by`. */
async function stored(version: number, by = kms): Promise<StoredServerKey & { secret: Uint8Array }> {
  const pair = generateAuditKeyPair();
  return { purpose: AUDIT_KEY_PURPOSE, version, publicKey: pair.publicKey, wrappedSecret: await by.wrap(pair.secret, CONTEXT), createdAt: 0, secret: pair.secret };
}

function deps(keys: readonly StoredServerKey[], more: Partial<AnchorDeps> = {}): AnchorDeps {
  return {
    store: { listServerKeys: async () => [...keys].reverse() },
    derive: async (blob) => auditPublicKeyFromSecret(await kms.unwrap(blob, CONTEXT)),
    fingerprint,
    pinned: [],
    ...more,
  };
}

describe('anchoring the audit keys outside the database', () => {
  test('a key the master key opens is anchored by it, and the public key is derived from the secret', async () => {
    const key = await stored(1);
    const anchored = await anchorAuditKeys(deps([key]), AUDIT_KEY_PURPOSE);
    assert.equal(anchored.problem, undefined);
    assert.deepEqual(anchored.keys.map((k) => [k.version, k.fingerprint, k.anchoredBy]), [[1, fingerprint(key.publicKey), ['master-key']]]);
  });

  test("a stored public key that is not the wrapped secret's is 'audit-key-replaced', naming both fingerprints", async () => {
    const key = await stored(1);
    const attacker = generateAuditKeyPair();
    const anchored = await anchorAuditKeys(deps([{ ...key, publicKey: attacker.publicKey }]), AUDIT_KEY_PURPOSE);
    assert.equal(anchored.problem?.code, 'audit-key-replaced');
    assert.equal(anchored.problem?.seq, 0);
    assert.match(anchored.problem!.reason, new RegExp(`${fingerprint(attacker.publicKey)}.*${fingerprint(key.publicKey)}`));
    assert.deepEqual(anchored.keys[0]!.publicKey, key.publicKey, 'the derived key, not the stored one');
  });

  test("a blob the master key does not open (another installation's, or forged) anchors nothing: 'audit-key-unanchored'", async () => {
    const foreign = await stored(1, otherKms);
    assert.equal((await anchorAuditKeys(deps([foreign]), AUDIT_KEY_PURPOSE)).problem?.code, 'audit-key-unanchored');
    const garbage = { ...(await stored(1)), wrappedSecret: new Uint8Array(randomBytes(60)) };
    assert.equal((await anchorAuditKeys(deps([garbage]), AUDIT_KEY_PURPOSE)).problem?.code, 'audit-key-unanchored');
  });

  test('a pinned fingerprint anchors a key without the master key; with pins, an unpinned key fails even if the master key opens it', async () => {
    const foreign = await stored(1, otherKms);
    const pinned = await anchorAuditKeys(deps([foreign], { pinned: [fingerprint(foreign.publicKey)] }), AUDIT_KEY_PURPOSE);
    assert.equal(pinned.problem, undefined);
    assert.deepEqual(pinned.keys[0]!.anchoredBy, ['pinned']);
    const own = await stored(1);
    const unpinned = await anchorAuditKeys(deps([own], { pinned: [fingerprint(foreign.publicKey)] }), AUDIT_KEY_PURPOSE);
    assert.equal(unpinned.problem?.code, 'audit-key-not-pinned');
  });

  test('every version is anchored: a replaced older version fails although the current one is sound', async () => {
    const v1 = await stored(1);
    const v2 = await stored(2);
    const anchored = await anchorAuditKeys(deps([{ ...v1, publicKey: generateAuditKeyPair().publicKey }, v2]), AUDIT_KEY_PURPOSE);
    assert.equal(anchored.problem?.code, 'audit-key-replaced');
    assert.match(anchored.problem!.reason, /version 1/);
    assert.deepEqual(anchored.keys.map((k) => k.version), [1, 2]);
  });

  test("an export's key must be the database's for its version, and a version it names must be stored", async () => {
    const key = await stored(1);
    const same = await anchorAuditKeys(deps([key], { exported: { version: 1, publicKey: key.publicKey } }), AUDIT_KEY_PURPOSE);
    assert.deepEqual(same.keys[0]!.anchoredBy, ['master-key', 'export']);
    const other = await anchorAuditKeys(deps([key], { exported: { version: 1, publicKey: generateAuditKeyPair().publicKey } }), AUDIT_KEY_PURPOSE);
    assert.equal(other.problem?.code, 'audit-key-not-exported');
    const deleted = await anchorAuditKeys(deps([], { exported: { version: 1, publicKey: key.publicKey } }), AUDIT_KEY_PURPOSE);
    assert.equal(deleted.problem?.code, 'audit-key-not-exported');
  });
});
