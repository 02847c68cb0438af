import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * For tests that need something outside npm (Chromium now; MySQL and Redis later): when it is
 * missing the test says so loudly and is skipped, except under CI=true, where it fails.
 * Returns a skip reason, or undefined when the requirement is met.
 */
export function requirement(what: string, present: boolean, howToGet: string): string | undefined {
  if (present) return undefined;
  const message = `${what} is missing: ${howToGet}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  process.stderr.write(`\n!!! SKIPPING: ${message}\n\n`);
  return message;
}

export const CHROMIUM_PATH = process.env.SEALPUSH_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return requirement('Chromium', existsSync(CHROMIUM_PATH), 'apt-get install -y chromium (or set SEALPUSH_CHROMIUM)');
}

/** Each command that is not on the PATH, as `requirement` reports it: for tests that run other languages' tools. */
export function commandsMissing(commands: Record<string, string>): string | undefined {
  const absent = Object.entries(commands).filter(([name]) => spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0);
  const howToGet = absent.map(([name, pkg]) => `${name} (apt-get install -y ${pkg})`).join(', ');
  return requirement(absent.map(([name]) => name).join(', '), absent.length === 0, howToGet);
}

/** The Redis the Redis driver tests run against (`redis://127.0.0.1:6379` in CI). */
export const TEST_REDIS_URL = process.env.SEALPUSH_TEST_REDIS;

export function redisMissing(): string | undefined {
  return requirement('Redis', TEST_REDIS_URL !== undefined && TEST_REDIS_URL !== '', 'set SEALPUSH_TEST_REDIS=redis://127.0.0.1:6379 (apt-get install -y redis-server)');
}

/** The MySQL server the MySQL driver is tested on: a URL whose user may create and drop databases. */
export const MYSQL_URL = process.env.SEALPUSH_TEST_MYSQL;

export function mysqlMissing(): string | undefined {
  return requirement('MySQL (SEALPUSH_TEST_MYSQL)', MYSQL_URL !== undefined && MYSQL_URL !== '',
    'set SEALPUSH_TEST_MYSQL=mysql://root@127.0.0.1:3306/test (MySQL 8 or MariaDB 10.11+; .ci/run does)');
}

/** Debian's Chromium, headless, as every browser test launches it (no network of its own: the machine has none). */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
