// Operator token ids (src/crypto/node/admin-token.ts): an id is what `sealpush admin revoke ID`
// takes as its argument, so it must never read as an option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAdminToken, parseAdminToken } from '../../src/crypto/node/admin-token.js';

test("no token id starts with '-' (the CLI would read it as an option), and every token parses back to its id", () => {
  // 4,000 draws: with ids drawn plainly, one in 64 would start with '-' (about 62 of them).
  for (let i = 0; i < 4000; i++) {
    const { id, token } = newAdminToken();
    assert.match(id, /^[A-Za-z0-9][A-Za-z0-9-]{15}$/);
    assert.equal(parseAdminToken(token)?.id, id);
  }
});
