#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's test runner (TypeScript through tsx).
// Extra arguments narrow the run: `node scripts/run-tests.js test/unit` or a file path.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// --test-timeout bounds each whole file (its subprocess), whatever its tests ask for: the fault
// scenarios' short forms (test/integration/chaos-*.test.ts) take minutes per file, so the bound
// is theirs; a test that can hang sets its own, smaller { timeout }.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
