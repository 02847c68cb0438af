// The README's Quick start quotes examples/quickstart, which test/integration/quickstart.test.ts
// runs: its code blocks are those files' marked regions verbatim, and its commands are the ones
// that test runs, so neither can drift from what works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { excerptsOf, expectedExcerpt } from '../helpers/doc-excerpts.js';
import { REPO_ROOT, fencedBlocks, markdownSection, repoFile, shellCommands } from '../helpers/readme.js';
import { QUICK_START, commandRun } from '../helpers/quickstart.js';

const readme = repoFile('README.md');

test("the README's js blocks are the marked regions of examples/quickstart, verbatim and in order", () => {
  const excerpts = excerptsOf(readme);
  assert.deepEqual(excerpts.map((e) => `${e.path}#${e.region}`), ['examples/quickstart/client.mjs#readme-client', 'examples/quickstart/backend.mjs#readme-backend']);
  for (const excerpt of excerpts) assert.equal(excerpt.block, expectedExcerpt(REPO_ROOT, excerpt), `${excerpt.path}#${excerpt.region} differs: copy it again`);
  // No js block is left unmarked (and so unchecked).
  assert.equal(fencedBlocks(readme, 'js').length, excerpts.length);
});

test("the Quick start's sealpush and example commands are exactly the ones the quickstart test runs", () => {
  const shown = shellCommands(markdownSection(readme, 'Quick start'));
  const run = shown.filter((command) => command.startsWith('npx sealpush') || command.includes('examples/quickstart/'));
  assert.deepEqual([...run].sort(), Object.values(QUICK_START).sort());
  // Every one is a command the test can run: the script it names exists in the repository.
  for (const command of run) assert.ok(existsSync(commandRun(command.replace(/<\w+>/g, 'x')).script), command);
});

test('the helpers read what they claim: sections, fences, regions and shell lines', () => {
  const doc = '# T\n\n## A\n\n```sh\nnpm i && npx sealpush serve   # note\n\nnode x.mjs\n```\n\n```js\nconst a = 1;\n```\n## B\n```js\nb\n```\n';
  const section = markdownSection(doc, 'A');
  assert.deepEqual(fencedBlocks(section, 'js'), ['const a = 1;\n']);
  assert.deepEqual(shellCommands(section), ['npm i', 'npx sealpush serve', 'node x.mjs']);
  assert.throws(() => markdownSection(doc, 'C'), /no section "## C"/);
  assert.throws(() => expectedExcerpt(REPO_ROOT, { path: 'README.md', region: 'readme-nothing' }), /has no region/);
});
