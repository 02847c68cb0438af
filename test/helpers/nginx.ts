import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis.js';
import { requirement } from './requirements.js';
import { eventually, tempDir } from './server.js';

/** Debian's nginx is in /usr/sbin, which a non-root PATH may lack. */
export const NGINX_BIN = process.env.SEALPUSH_NGINX ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
export const SITE_CONF = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

export function nginxMissing(): string | undefined {
  return requirement('nginx', spawnSync(NGINX_BIN, ['-v']).status === 0, 'apt-get install -y nginx (or set SEALPUSH_NGINX)');
}

export interface Nginx {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs nginx as a child process (no daemon, no root: a free high port, pid, logs and temp
 * files in a directory of its own) on deploy/nginx.conf, its two upstream ports replaced by
 * `upstreams` and its listen port by a free one. The main config around it is the minimum
 * Debian's /etc/nginx/nginx.conf also gives a conf.d file.
 */
export async function startNginx(upstreams: readonly [string, string]): Promise<Nginx> {
  const dir = tempDir('sealpush-nginx-');
  const port = await freePort();
  const site = readFileSync(SITE_CONF, 'utf8')
    .replace('server 127.0.0.1:8081 ', `server ${upstreams[0]} `)
    .replace('server 127.0.0.1:8082 ', `server ${upstreams[1]} `)
    .replace('listen 8080;', `listen 127.0.0.1:${port};`);
  writeFileSync(join(dir, 'sealpush.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
  writeFileSync(join(dir, 'nginx.conf'), [
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    temp,
    `  include ${join(dir, 'sealpush.conf')};`,
    '}',
    '',
  ].join('\n'));
  const child = spawn(NGINX_BIN, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${out}`);
      return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined;
    }, 'nginx to answer /readyz with 200');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, output: () => out + readFileSync(join(dir, 'error.log'), 'utf8'), stop };
}
