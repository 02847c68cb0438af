import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SEALPUSH_BIN } from './process.js';
import { REPO_ROOT } from './readme.js';

/**
 * The commands of the README's Quick start, as it prints them. The quickstart test runs
 * exactly these, and test/unit/readme-snippets.test.ts checks that the README shows exactly
 * these: neither can change without the other.
 */
export const QUICK_START = {
  serve: 'npx sealpush serve',
  createApp: 'npx sealpush apps create my-app --json',
  showKey: 'npx sealpush keys show --json',
  client: 'SEALPUSH_APP_ID=<appId> SEALPUSH_SERVER_KEY=<publicKey> node examples/quickstart/client.mjs',
  backend: 'SEALPUSH_APP_ID=<appId> SEALPUSH_APP_SECRET=<secret> node examples/quickstart/backend.mjs <clientId>',
} as const;

/** A command line as a process: the script Node runs, its arguments and its environment. */
export interface CommandRun {
  readonly script: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

/**
 * Reads a Quick start line: leading `NAME=value` words are its environment, `npx sealpush`
 * runs bin/sealpush.js and `node PATH` a file of the repository; every `<name>` is filled
 * from `values` (an error if one is missing, so a renamed placeholder fails loudly).
 */
export function commandRun(line: string, values: Record<string, string> = {}): CommandRun {
  const fill = (word: string): string =>
    word.replace(/<(\w+)>/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`no value for <${name}> in: ${line}`);
      return value;
    });
  const words = line.split(/\s+/).map(fill);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  const [program, target, ...args] = words;
  if (program === 'npx' && target === 'sealpush') return { script: SEALPUSH_BIN, args, env };
  if (program === 'node' && target !== undefined) return { script: fileURLToPath(new URL(target, REPO_ROOT)), args, env };
  throw new Error(`not a Quick start command: ${line}`);
}

/** A process whose stdout and stderr are collected, to wait for what it prints. */
export interface Watched {
  readonly child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output(): string;
  stdout(): string;
  /** Resolves with the first match in the output so far or to come; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves once the process exited and its output is all read. */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command in `cwd` with the test's environment, `extraEnv` and the command's own. */
export function startCommand(run: CommandRun, cwd: string, extraEnv: Record<string, string> = {}, extraArgs: string[] = []): Watched {
  const child = spawn(process.execPath, [run.script, ...run.args, ...extraArgs], {
    cwd,
    env: { ...process.env, ...extraEnv, ...run.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  const waiting = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    out += chunk.toString();
    waiting.forEach((check) => check());
  };
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exit: () => exit,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(out);
          if (!match) return;
          waiting.delete(check);
          resolve(match);
        };
        waiting.add(check);
        check();
        void exit.then(({ code, signal }) => {
          if (!waiting.delete(check)) return;
          reject(new Error(`exited (${code ?? signal}) before printing ${pattern}:\n${out}`));
        });
      });
    },
  };
}

/** Runs a command to its end in `cwd`. */
export async function runCommand(run: CommandRun, cwd: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; output: string }> {
  const watched = startCommand(run, cwd, extraEnv);
  const { code } = await watched.exit();
  return { code, stdout: watched.stdout(), output: watched.output() };
}
