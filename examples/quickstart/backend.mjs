#!/usr/bin/env node
// The quick start's back end: publishes one result to a client (its id is the argument, as
// client.mjs printed it) and prints the message's status.
//
//   SEALPUSH_APP_ID=<appId> SEALPUSH_APP_SECRET=<secret> node examples/quickstart/backend.mjs <clientId>
//
// The README's Quick start shows the region below verbatim (test/unit/readme-snippets.test.ts).

// #region readme-backend
import { SealPushApp, SealPushError } from 'sealpush/app';

const sealpush = new SealPushApp({
  url: process.env.SEALPUSH_URL ?? 'http://127.0.0.1:8080',
  appId: fromEnv('SEALPUSH_APP_ID', 'the appId that `npx sealpush apps create my-app --json` prints'),
  secret: fromEnv('SEALPUSH_APP_SECRET', 'the secret that `npx sealpush apps create my-app --json` prints once'),
});
// The client hands its id to your application, e.g. with the job request.
const clientId = process.argv[2];
if (!clientId) {
  console.error('usage: node backend.mjs CLIENT_ID (the client id that client.mjs printed)');
  process.exit(2);
}

try {
  // `id` makes the publish idempotent: sent again (a retry after a timeout or a crash), it
  // answers the first message's status and sends nothing twice.
  const { id, status } = await sealpush.publish({ to: clientId, data: { invoice: 42, paid: true }, id: `invoice-42-${clientId}` });
  console.log(`published ${id}: ${status}`);
  const later = await sealpush.status(id); // { status: 'queued' | 'delivered' | 'acked' | 'expired', ... }
  console.log(`status of ${id}: ${later.status}`);
} catch (err) {
  if (!(err instanceof SealPushError)) throw err;
  // err.code is the catalogue's (docs/errors.md): ERR_NOT_FOUND is no such client for this app,
  // ERR_AUTH_SIGNATURE a secret that is not this app's, ERR_UNAVAILABLE no server at the url.
  console.error(`publish failed: ${err.code}: ${err.message}`);
  process.exit(1);
}

function fromEnv(name, what) {
  const value = process.env[name];
  if (value) return value;
  console.error(`${name} is not set: it is ${what}`);
  process.exit(2);
}
// #endregion
