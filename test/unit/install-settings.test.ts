// The install settings README's Development section relies on: better-sqlite3 is compiled from
// source (never a downloaded binary), and package.json's `engines` is true for every package
// the lockfile installs (npm warns EBADENGINE otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const root = new URL('../../', import.meta.url);
const rootRequire = createRequire(new URL('package.json', root));

interface SemverApi {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
}
interface LockEntry {
  version?: string;
  engines?: { node?: string };
}

async function readJson<T>(relative: string): Promise<T> {
  return JSON.parse(await readFile(new URL(relative, root), 'utf8')) as T;
}

test('prebuild-install, as better-sqlite3 runs it from the project, builds from source and never downloads', () => {
  // Resolve prebuild-install the way better-sqlite3's install script does, and run its own
  // config loader (rc: .prebuild-installrc found walking up from the working directory).
  const addonRequire = createRequire(rootRequire.resolve('better-sqlite3/package.json'));
  const loadConfig = addonRequire(addonRequire.resolve('prebuild-install/rc.js')) as (pkg: object) => {
    buildFromSource: unknown;
  };
  const saved = process.env.npm_config_build_from_source;
  delete process.env.npm_config_build_from_source; // the file alone must decide
  try {
    assert.equal(loadConfig({ name: 'better-sqlite3' }).buildFromSource, true);
  } finally {
    if (saved !== undefined) process.env.npm_config_build_from_source = saved;
  }
});

test('.npmrc holds no build-from-source key (npm 11 warns: Unknown project config)', async () => {
  const npmrc = await readFile(new URL('.npmrc', root), 'utf8').catch(() => '');
  assert.doesNotMatch(npmrc, /build-from-source/);
});

test("package.json's engines floor runs every package in the lockfile, and this Node satisfies it", async () => {
  const semver = rootRequire('semver') as SemverApi;
  const pkg = await readJson<{ engines: { node: string } }>('package.json');
  const floor = semver.minVersion(pkg.engines.node)?.version;
  assert.ok(floor !== undefined, `engines.node ${pkg.engines.node} has no minimum`);
  assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), `Node ${process.versions.node}`);
  const lock = await readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
  const refused = Object.entries(lock.packages)
    .filter(([, entry]) => entry.engines?.node !== undefined && !semver.satisfies(floor, entry.engines.node))
    .map(([path, entry]) => `${path}@${entry.version ?? '?'} needs node ${entry.engines?.node ?? ''}`);
  assert.deepEqual(refused, [], `engines.node ${pkg.engines.node} promises Node ${floor}`);
});
