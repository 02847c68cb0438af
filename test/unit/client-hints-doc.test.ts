/**
 * docs/sdk.md quotes the client SDK's hints (src/client/hints.ts, their one home): every hint,
 * word for word, `URL` standing for `{url}`; and no row for a hint the SDK does not give.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { CLIENT_HINTS, UNREACHABLE_HINT } from '../../src/client/hints.js';

const UNREACHABLE_ROW = 'closed with 1006 (nothing answered), any code';

/** The "Errors" hint table of docs/sdk.md: first cell to second, as written. */
async function documentedHints(): Promise<Map<string, string>> {
  const text = await readFile(new URL('../../docs/sdk.md', import.meta.url), 'utf8');
  const table = text.slice(text.indexOf('| Code | Hint |'));
  const rows = new Map<string, string>();
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [, key = '', hint = ''] = line.split('|').map((cell) => cell.trim());
    rows.set(key, hint);
  }
  return rows;
}

const asDocumented = (template: string) => template.replaceAll('{url}', 'URL');

test('docs/sdk.md gives every client hint word for word, and no other', async () => {
  const rows = await documentedHints();
  assert.equal(rows.get(UNREACHABLE_ROW), asDocumented(UNREACHABLE_HINT));
  for (const [code, template] of Object.entries(CLIENT_HINTS)) {
    assert.equal(rows.get(`\`${code}\``), asDocumented(template!), `${code}'s hint in docs/sdk.md`);
  }
  assert.equal(rows.size, Object.keys(CLIENT_HINTS).length + 1, `rows: ${[...rows.keys()].join(', ')}`);
});
