import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { exited, runCommand } from './process.js';
import { freePort } from './redis.js';
import { commandsMissing } from './requirements.js';
import { tempDir } from './server.js';

/** The programs OwnMariaDb runs; a test that needs one is skipped (failed under CI=true) without them. */
export function mariadbMissing(): string | undefined {
  return commandsMissing({ 'mariadb-install-db': 'mariadb-server', mariadbd: 'mariadb-server' });
}

/**
 * A MariaDB server of the test's own (never the shared one): a fresh data directory in a temp
 * dir, one port across stops and starts, root without a password, and one empty database
 * `sealpush`. Runs as root (`--user=root`), so that it can be started by root in a container.
 * `stop`, `kill`, `pause` and `resume` are the faults a chaos scenario makes of it.
 */
export class OwnMariaDb {
  #child: ChildProcess | undefined;
  /** What the server printed, across every start (its error log). */
  #log = '';

  private constructor(readonly port: number, private readonly dir: string) {}

  static async start(): Promise<OwnMariaDb> {
    const dir = tempDir('sealpush-mariadb-');
    const installed = await runCommand(['mariadb-install-db', '--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root']);
    if (installed.code !== 0) throw new Error(`mariadb-install-db failed:\n${installed.out}${installed.err}`);
    const server = new OwnMariaDb(await freePort(), dir);
    await server.start();
    const admin = await createConnection({ uri: `mysql://root@127.0.0.1:${server.port}/mysql` });
    await admin.query('CREATE DATABASE sealpush');
    await admin.end();
    return server;
  }

  /** The `sealpush` database on this server, straight (not through a proxy). */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/sealpush`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  output(): string {
    return this.#log;
  }

  /** Starts mariadbd on the same port and data; resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = spawn('mariadbd', [
      '--no-defaults', `--datadir=${join(this.dir, 'data')}`, `--socket=${join(this.dir, 'sock')}`, `--pid-file=${join(this.dir, 'pid')}`,
      `--port=${this.port}`, '--bind-address=127.0.0.1', '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=64M', '--max-connections=200',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const since = this.#log.length;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        this.#log += chunk.toString();
        if (this.#log.slice(since).includes('ready for connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`mariadbd exited (${code ?? signal}) before it was ready:\n${this.#log.slice(since)}`)));
    });
  }

  /** A clean shutdown (SIGTERM), waiting until the process is gone. */
  async stop(): Promise<void> {
    await this.#end('SIGTERM');
  }

  /** kill -9, as a crash would. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  /** SIGSTOP: the process holds its sockets but answers nothing until resume(). */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stops the server (a paused one too) and removes its data. */
  async remove(): Promise<void> {
    this.resume();
    await this.#end('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited(child);
  }
}
