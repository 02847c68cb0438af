import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_CATALOGUE, ERROR_CODES, isTransientClose, type ErrorCode } from '../../src/domain/errors.js';

interface DocRow {
  http: number;
  ws: number;
  kind: string;
}

/** The rows of the table in docs/errors.md whose first cell is a code. */
async function documentedCodes(): Promise<Map<string, DocRow>> {
  const text = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, DocRow>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`(ERR_[A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code === undefined) continue;
    assert.equal(rows.has(code), false, `${code} is listed twice`);
    rows.set(code, { http: Number(cells[2]), ws: Number(cells[3]), kind: cells[4] ?? '' });
  }
  return rows;
}

test('docs/errors.md lists every catalogue code with its HTTP status and close code', async () => {
  const rows = await documentedCodes();
  for (const code of ERROR_CODES) {
    const row = rows.get(code);
    assert.ok(row, `${code} is missing from docs/errors.md`);
    assert.equal(row.http, ERROR_CATALOGUE[code].http, `${code} HTTP status`);
    assert.equal(row.ws, ERROR_CATALOGUE[code].ws, `${code} close code`);
  }
  for (const code of rows.keys()) assert.ok(Object.hasOwn(ERROR_CATALOGUE, code), `${code} is not in the catalogue`);
});

test('docs/errors.md calls an application close code transient exactly when clients reconnect on it', async () => {
  for (const [code, row] of await documentedCodes()) {
    assert.ok(row.kind === 'transient' || row.kind === 'permanent', `${code} kind "${row.kind}"`);
    const ws = ERROR_CATALOGUE[code as ErrorCode].ws;
    if (ws >= 4000) assert.equal(row.kind === 'transient', isTransientClose(ws), `${code} kind vs close code ${ws}`);
  }
});
