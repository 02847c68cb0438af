/**
 * Starts a server under test in its own child process, so that its CPU time and memory can
 * be read from /proc without anyone else's in them.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, fileLimitFor, rssBytes, spawnNode, stopChild } from './proc.js';

export const SERVER_KINDS = ['sealpush', 'bare-ws', 'socketio'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface ServerInfo {
  readonly kind: ServerKind;
  readonly url: string;
  readonly pid: number;
  /** sealpush only. */
  readonly appId?: string;
  readonly secret?: string;
  readonly serverKey?: string;
}

export interface ServerHandle {
  readonly info: ServerInfo;
  cpuSeconds(): number;
  rssBytes(): number;
  /** Stderr of the server so far (for error reports). */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Sockets the server will hold at once (sets its open-file limit). */
  readonly sockets: number;
  /** sealpush's SQLite durability. */
  readonly durability: 'full' | 'normal';
  /** Extra node flags for the server process (BENCH_NODE_FLAGS), e.g. `--cpu-prof`. */
  readonly nodeFlags: readonly string[];
  readonly startTimeoutMs?: number;
}

const SCRIPTS: Record<ServerKind, string> = {
  sealpush: fileURLToPath(new URL('../servers/sealpush.ts', import.meta.url)),
  'bare-ws': fileURLToPath(new URL('../servers/bare-ws.ts', import.meta.url)),
  socketio: fileURLToPath(new URL('../servers/socketio.ts', import.meta.url)),
};

const live = new Set<ChildProcess>();

/** Kills every server still running (on the way out of an interrupted run). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function startBenchServer(kind: ServerKind, options: ServerOptions): Promise<ServerHandle> {
  const child = spawnNode(SCRIPTS[kind], [], {
    execArgv: ['--import', 'tsx', ...options.nodeFlags],
    fileLimit: fileLimitFor(options.sockets),
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_DURABILITY: options.durability },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });

  const info = await new Promise<ServerInfo>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`${kind} server did not start in time`)), options.startTimeoutMs ?? 60_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderr}`));
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(stdout.slice(0, newline)) as Omit<ServerInfo, 'kind'>;
        resolve({ kind, ...parsed });
      } catch (err) {
        fail(new Error(`${kind} server printed something other than its JSON line: ${String(err)}`));
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`${kind} server exited (${code ?? signal}) before it was ready`)));
  });
  child.removeAllListeners('exit');
  child.once('exit', () => live.delete(child));

  return {
    info,
    cpuSeconds: () => cpuSeconds(info.pid),
    rssBytes: () => rssBytes(info.pid),
    output: () => stderr,
    stop: async () => {
      child.stdin!.end();
      await stopChild(child, 15_000);
      live.delete(child);
    },
  };
}
