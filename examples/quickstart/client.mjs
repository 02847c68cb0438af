#!/usr/bin/env node
// The quick start's client, in Node: connects to sealpush, prints its client id, then prints
// each message it receives. Its session (client id and private keys) lives in a file, so a
// restart resumes the same client id and nothing is delivered twice. Ctrl-C closes it cleanly.
//
//   SEALPUSH_APP_ID=<appId> SEALPUSH_SERVER_KEY=<publicKey> node examples/quickstart/client.mjs
//
// The README's Quick start shows the region below verbatim (test/unit/readme-snippets.test.ts).

// #region readme-client
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'sealpush/client';

const url = process.env.SEALPUSH_URL ?? 'http://127.0.0.1:8080';
const appId = fromEnv('SEALPUSH_APP_ID', 'the appId that `npx sealpush apps create my-app --json` prints');
const serverKey = fromEnv('SEALPUSH_SERVER_KEY', 'the publicKey that `npx sealpush keys show --json` prints');

// The session holds this client's private keys: keep it like a password (here a file only
// this user may read; docs/sdk.md says where to keep it in a browser).
const sessionFile = process.env.SEALPUSH_SESSION_FILE ?? 'quickstart-session.json';
const session = existsSync(sessionFile) ? JSON.parse(readFileSync(sessionFile, 'utf8')) : undefined;

let client;
try {
  client = await connect({ url, appId, serverKey, session });
} catch (err) {
  // e.g. ERR_HANDSHAKE: serverKey is not this server's key; ERR_UNAVAILABLE: nothing answers at url.
  console.error(`cannot connect to ${url}: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}
// The session changes with every message handed over (lastSeq) and when the client id does:
// save it now and on every 'session' event, or a restart gets messages again.
saveSession(client.session());
client.on('session', saveSession);

client.on('message', (m) => console.log(`message ${m.id}: ${JSON.stringify(m.data)}`)); // each once, in order
client.on('error', (err) => console.error(`sealpush error ${err.code}: ${err.message}`));
let stopping = false;
client.on('disconnected', ({ code, willReconnect }) => {
  if (willReconnect) console.error(`disconnected (${code}); reconnecting`);
  // Closed for good, e.g. ERR_SESSION_REPLACED: another process or tab resumed this session.
  else if (!stopping) process.exitCode = 1;
});
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

// Give this id to your application (e.g. with the job request): it publishes to it.
console.log(`client id: ${client.clientId}`);

function saveSession(saved) {
  // Written whole, then renamed over the old file: a crash never leaves half a session.
  writeFileSync(`${sessionFile}.tmp`, JSON.stringify(saved), { mode: 0o600 });
  renameSync(`${sessionFile}.tmp`, sessionFile);
}

async function stop() {
  stopping = true;
  await client.close(); // acks what was handed over, and stops reconnecting
}

function fromEnv(name, what) {
  const value = process.env[name];
  if (value) return value;
  console.error(`${name} is not set: it is ${what}`);
  process.exit(2);
}
// #endregion
