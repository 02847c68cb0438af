/**
 * docs/integrate.md and docs/api.md show the integration examples as exact excerpts of the
 * files under examples/integrate/ (which test/integration/integrate-examples.test.ts and
 * test/browser/integrate-no-bundler.test.ts run), and every one of those files is shown; so
 * does docs/webhooks.md with examples/webhooks/ (test/integration/webhooks-examples.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { excerptsOf, expectedExcerpt } from '../helpers/doc-excerpts.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');

for (const doc of ['docs/integrate.md', 'docs/api.md', 'docs/webhooks.md']) {
  test(`every excerpt in ${doc} is its file or region, verbatim`, () => {
    const excerpts = excerptsOf(read(doc));
    assert.ok(excerpts.length >= ({ 'docs/api.md': 1, 'docs/webhooks.md': 3 }[doc] ?? 6), `found ${excerpts.length} marked excerpts`);
    for (const excerpt of excerpts) {
      const name = `${excerpt.path}${excerpt.region === undefined ? '' : `#${excerpt.region}`}`;
      assert.equal(excerpt.block, expectedExcerpt(ROOT, excerpt), `${doc}: ${name} differs from the file: copy it again`);
    }
  });
}

for (const [doc, folder, atLeast] of [['docs/integrate.md', 'examples/integrate', 5], ['docs/webhooks.md', 'examples/webhooks', 3]] as const) {
  test(`${doc} shows every file of ${folder}/`, () => {
    const shown = new Set(excerptsOf(read(doc)).map((e) => e.path));
    const root = fileURLToPath(ROOT);
    const files = readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)));
    assert.ok(files.length >= atLeast, files.join(', '));
    for (const file of files) assert.ok(shown.has(file), `${file} is not excerpted in ${doc}`);
  });
}
