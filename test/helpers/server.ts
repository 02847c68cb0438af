import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { parseConfig, type ConfigInput } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { AppChanges, AppSettings, CreatedApp } from '../../src/domain/usecases/apps.js';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly app: CreatedApp;
  /** Creates another app through the admin path, as `sealpush apps create` does. */
  createApp(name: string): Promise<CreatedApp>;
  /** Changes an app's settings through the admin path, as `sealpush apps update` does (live within a second). */
  updateApp(appId: string, changes: AppChanges): Promise<AppSettings>;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

export function tempDir(prefix = 'sealpush-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Fresh temporary directories for one suite: `make()` each, `removeAll()` in its `after`. */
export function scratchDirs(): { make(): string; removeAll(): void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const dir = tempDir();
      dirs.push(dir);
      return dir;
    },
    removeAll: () => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })),
  };
}

export async function createApp(dataDir: string, name: string): Promise<CreatedApp> {
  const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    return await core.apps.create(name);
  } finally {
    await core.close();
  }
}

export async function updateApp(dataDir: string, appId: string, changes: AppChanges): Promise<AppSettings> {
  const core = await openCore(parseConfig({ dataDir, logLevel: 'silent' }), pino({ level: 'silent' }));
  try {
    return await core.apps.update(appId, changes);
  } finally {
    await core.close();
  }
}

/** A real server on a free port over a fresh data directory, with one app created. */
export async function startTestServer(overrides: Partial<ConfigInput> = {}, logger?: Logger): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = parseConfig({ logLevel: 'silent', durability: 'normal', ...overrides, dataDir, host: '127.0.0.1', port: 0 });
  const app = await createApp(dataDir, 'test-app');
  const server = await startServer(config, logger ?? pino({ level: process.env.SEALPUSH_TEST_LOG ?? 'silent' }));
  return {
    ...server,
    url: server.url,
    port: server.port,
    identity: server.identity,
    dataDir,
    app,
    createApp: (name) => createApp(dataDir, name),
    updateApp: (appId, changes) => updateApp(dataDir, appId, changes),
    close: async () => {
      await server.stop();
      if (overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined; for state only visible by asking. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A logger (trace-level unless `level` says) whose whole output the test can read back, to check what was never logged. */
export function captureLogs(level = 'trace'): { logger: Logger; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino({ level }, sink), text: () => text };
}
