import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SEALPUSH_BIN = fileURLToPath(new URL('../../bin/sealpush.js', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly serverKey: string;
  output(): string;
}

/**
 * Runs `sealpush serve` as a real process on `port` (0: a free one) and waits for its banner.
 * It logs at warn unless `extraEnv` sets SEALPUSH_LOG_LEVEL.
 */
export function spawnServer(dataDir: string, extraEnv: Record<string, string> = {}, port = 0): Promise<ServerProcess> {
  const logLevel = extraEnv.SEALPUSH_LOG_LEVEL === undefined ? ['--log-level', 'warn'] : [];
  const child = spawn(process.execPath, [SEALPUSH_BIN, 'serve', '--port', String(port), '--data', dataDir, ...logLevel], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const url = /sealpush listening on (\S+)/.exec(out)?.[1];
      const key = /server public key \(serverKey\): (\S+)/.exec(out)?.[1];
      if (url && key) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (more: Buffer) => (out += more.toString()));
        resolve({ child, url, serverKey: key, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`sealpush serve exited with ${code} before listening:\n${out}`)));
  });
}

/** Runs a `sealpush` admin command to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SEALPUSH_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** Runs `command` (its program, then its arguments) to completion: its exit code and its output. */
export async function runCommand(command: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const { code } = await exited(child);
  return { code, out, err };
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs examples/slow-job/app-server.mjs on a free port with `env`; resolves once it listens. */
export function startExampleApp(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../examples/slow-job/app-server.mjs', import.meta.url))], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`app server exited with ${code}`)));
  });
}

/** Env for runCli/spawnServer: the process's clock (Date.now) runs `ms` ahead (test/helpers/clock-ahead.mjs). */
export function clockAhead(ms: number): Record<string, string> {
  return { ...clockPreload(), SEALPUSH_TEST_CLOCK_AHEAD_MS: String(ms) };
}

/** Env for spawnServer: the process's clock (Date.now) follows the offset written to `file` (test/helpers/clock-ahead.mjs). */
export function clockFollowing(file: string): Record<string, string> {
  return { ...clockPreload(), SEALPUSH_TEST_CLOCK_FILE: file };
}

function clockPreload(): { NODE_OPTIONS: string } {
  const preload = new URL('./clock-ahead.mjs', import.meta.url).href;
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim() };
}

/** A long-running `sealpush` command (e.g. `listen`), its output so far, and waits on it. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The first complete stdout line (already printed or still to come) that matches; rejects if the process exits first. */
  line(pattern: RegExp): Promise<string>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [SEALPUSH_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const found = (pattern: RegExp): string | undefined => out.split('\n').slice(0, -1).find((text) => pattern.test(text));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const text = found(pattern);
          if (text === undefined) return;
          child.stdout!.off('data', check);
          child.off('exit', gone);
          resolve(text);
        };
        const gone = (code: number | null): void => {
          child.stdout!.off('data', check);
          reject(new Error(`sealpush ${args.join(' ')} exited with ${code} before printing ${pattern}:\n${out}\n${err}`));
        };
        child.stdout!.on('data', check);
        child.once('exit', gone);
        check();
        if (child.exitCode !== null || child.signalCode !== null) gone(child.exitCode);
      }),
  };
}
