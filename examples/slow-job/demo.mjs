#!/usr/bin/env node
// `npm run demo`: the browser demo in one command. It makes a throwaway data directory, creates
// one app per delivery mode in it, starts `sealpush serve` and the example application with
// their ids, secrets and the server key, and prints the page to open. Ctrl-C stops both and
// deletes the directory: nothing of a demo run is kept.
//
//   SEALPUSH_PORT=8080 PORT=3000 node examples/slow-job/demo.mjs     (0 picks free ports)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEALPUSH = fileURLToPath(new URL('../../bin/sealpush.js', import.meta.url));
const APP_SERVER = fileURLToPath(new URL('./app-server.mjs', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sealpush-demo-'));
const children = [];

async function main() {
  await cli('init'); // only serve and init create a data directory (docs/configuration.md)
  const direct = JSON.parse(await cli('apps', 'create', 'slow-job', '--json'));
  const cohort = JSON.parse(await cli('apps', 'create', 'slow-job-cohort', '--json', '--delivery', 'cohort'));
  const { publicKey } = JSON.parse(await cli('keys', 'show', '--json'));

  const sealpushUrl = await start(
    [SEALPUSH, 'serve', '--data', dataDir, '--port', process.env.SEALPUSH_PORT ?? '8080', '--log-level', 'warn'],
    process.env,
    /sealpush listening on (\S+)/,
  );
  const appUrl = await start([APP_SERVER], {
    ...process.env,
    PORT: process.env.PORT ?? '3000',
    SEALPUSH_URL: sealpushUrl,
    SEALPUSH_APP_ID: direct.appId,
    SEALPUSH_APP_SECRET: direct.secret,
    SEALPUSH_COHORT_APP_ID: cohort.appId,
    SEALPUSH_COHORT_APP_SECRET: cohort.secret,
    SEALPUSH_SERVER_KEY: publicKey,
  }, /listening on (\S+)/);

  console.log(`\nsealpush demo running (data in ${dataDir}, deleted on exit)`);
  console.log(`  open  ${sealpushUrl}/demo?app=${appUrl}`);
  console.log(`  apps  ${direct.appId} (direct), ${cohort.appId} (cohort)`);
  console.log('  Ctrl-C stops it.');
}

/** Runs a sealpush admin command on the demo's data directory; its stdout. */
function cli(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SEALPUSH, ...args, '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sealpush ${args.join(' ')} exited with ${code}`))));
  });
}

/** Starts a long-running child and resolves with the URL its banner names. */
function start(args, env, banner) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = banner.exec(out)?.[1];
      if (url) {
        child.stdout.removeAllListeners('data');
        child.stdout.on('data', (more) => process.stdout.write(more));
        resolve(url);
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`${args[0]} exited with ${code} before it was ready:\n${out}`));
      stop(1);
    });
  });
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  let left = running.length;
  const done = () => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  if (left === 0) return done();
  for (const child of running) {
    child.once('exit', () => --left === 0 && done());
    child.kill('SIGTERM');
  }
  // The example app finishes its running jobs before it exits; do not wait long for them.
  setTimeout(() => {
    for (const child of running) child.kill('SIGKILL');
  }, 3000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
main().catch((err) => {
  console.error(err.message);
  stop(1);
});
