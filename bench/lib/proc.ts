/**
 * What the bench reads about other processes (Linux /proc), and how it starts them with
 * enough file descriptors for thousands of sockets.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (sysconf CLK_TCK; 100 on Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system, all threads) a process has used so far: utime and stime,
 * fields 14 and 15 of /proc/<pid>/stat. Resolution is one clock tick (10 ms).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicksPerSecond();
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The hard limit on open files for processes started from here (`ulimit -Hn`). */
export function hardFileLimit(): number {
  const text = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
}

export class FileLimitError extends Error {
  override name = 'FileLimitError';
}

/**
 * The soft open-file limit to give a child that will hold `sockets` sockets. Throws a
 * FileLimitError naming the fix when the hard limit is too low: a soft limit can be raised
 * only up to the hard one without privileges.
 */
export function fileLimitFor(sockets: number): number {
  const wanted = sockets + 512;
  const hard = hardFileLimit();
  if (hard < wanted) {
    throw new FileLimitError(
      `${sockets} sockets in one process need about ${wanted} open files, but the hard limit ` +
        `(ulimit -Hn) is ${hard}. Raise it (as root: \`ulimit -Hn 65536\` in the shell that runs ` +
        `the bench, or a nofile line in /etc/security/limits.conf), or run with a smaller --clients.`,
    );
  }
  return Math.min(hard, Math.max(wanted, 4096));
}

/**
 * Spawns `node [execArgv] script args` with its soft open-file limit raised to `fileLimit`
 * (through `sh -c 'ulimit -n N; exec node ...'`, so the pid is node's own).
 */
export function spawnNode(
  script: string,
  args: readonly string[],
  options: { execArgv: readonly string[]; fileLimit: number } & SpawnOptions,
): ChildProcess {
  const { execArgv, fileLimit, ...spawnOptions } = options;
  const argv = [process.execPath, ...execArgv, script, ...args];
  return spawn('/bin/sh', ['-c', `ulimit -n ${Math.trunc(fileLimit)} && exec "$0" "$@"`, ...argv], spawnOptions);
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Asks a child to stop (SIGTERM), then kills it (SIGKILL) if it is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  if ((await Promise.race([gone, late])) === 'late') {
    child.kill('SIGKILL');
    await gone;
  }
  clearTimeout(timer);
}
