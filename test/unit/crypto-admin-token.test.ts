// Operator tokens (src/crypto/node/admin-token.ts): an id is what `sealpush admin revoke ID`
// takes as its argument, so it must never read as an option; a secret matches its own hash only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminSecretHash, adminSecretMatches, newAdminToken, parseAdminToken } from '../../src/crypto/node/admin-token.js';

test("no token id starts with '-' (the CLI would read it as an option), and every token parses back to its id", () => {
  // 4,000 draws: with ids drawn plainly, one in 64 would start with '-' (about 62 of them).
  for (let i = 0; i < 4000; i++) {
    const { id, token } = newAdminToken();
    assert.match(id, /^[A-Za-z0-9][A-Za-z0-9-]{15}$/);
    assert.equal(parseAdminToken(token)?.id, id);
  }
});

test('a secret matches only the stored hash of that secret: one byte off, the first or the last, or a shorter hash does not', () => {
  const { token } = newAdminToken();
  const { secret } = parseAdminToken(token)!;
  const stored = adminSecretHash(secret);
  assert.equal(adminSecretMatches(secret, stored), true);
  for (const at of [0, stored.length - 1]) {
    const altered = new Uint8Array(stored);
    altered[at]! ^= 1;
    assert.equal(adminSecretMatches(secret, altered), false, `byte ${at} altered`);
  }
  assert.equal(adminSecretMatches(secret, stored.subarray(0, stored.length - 1)), false);
});
