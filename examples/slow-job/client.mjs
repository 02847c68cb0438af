#!/usr/bin/env node
// The client: connects to sealpush (key agreement, client id), submits a slow job to the
// application with that id, optionally goes offline while the job runs, and prints the
// decrypted result when it arrives.
//
//   SEALPUSH_URL=... SEALPUSH_APP_ID=... SEALPUSH_SERVER_KEY=... APP_URL=http://127.0.0.1:3000 \
//     node client.mjs [--seconds 3] [--offline-for 5]
import { parseArgs } from 'node:util';
import { connect } from 'sealpush/client';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, 'offline-for': { type: 'string' } } });
const options = {
  url: process.env.SEALPUSH_URL ?? 'http://127.0.0.1:8080',
  appId: required('SEALPUSH_APP_ID'),
  serverKey: required('SEALPUSH_SERVER_KEY'),
};
const appUrl = process.env.APP_URL ?? 'http://127.0.0.1:3000';

let client = await connect(options);
console.log(`connected to sealpush as client ${client.clientId}`);

const response = await fetch(`${appUrl}/jobs`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ clientId: client.clientId, seconds: Number(values.seconds), kind: 'credit-review' }),
});
const { jobId } = await response.json();
console.log(`job ${jobId} submitted; the application answered ${response.status} and works on it`);

if (values['offline-for']) {
  // Keep the session (a page would put it in localStorage), drop the connection, come back later.
  const session = client.session();
  await client.close();
  console.log(`offline for ${values['offline-for']} s...`);
  await new Promise((resolve) => setTimeout(resolve, Number(values['offline-for']) * 1000));
  client = await connect({ ...options, session });
  console.log(`back online as client ${client.clientId}`);
}

client.on('message', async (message) => {
  if (message.data?.jobId !== jobId) return;
  console.log(`result: ${JSON.stringify(message.data)}`);
  await client.close();
});

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (see examples/slow-job/README.md)`);
    process.exit(2);
  }
  return value;
}
