#!/usr/bin/env node
// Verify a webhook request sealpush sent, with verifyWebhook of sealpush/app, here on a request
// saved to files. In a receiver, pass the request's headers as they come (Node's req.headers or
// a fetch Request's headers) and its raw body: never JSON parsed and serialised again.
//
//   WEBHOOK_SECRET=whsec_... node verify.mjs WEBHOOK_ID WEBHOOK_TIMESTAMP 'WEBHOOK_SIGNATURE' BODY_FILE
import { readFileSync } from 'node:fs';
import { verifyWebhook } from 'sealpush/app';

const [id, timestamp, signature, bodyFile] = process.argv.slice(2);
const secret = process.env.WEBHOOK_SECRET; // the endpoint's, printed once by `sealpush webhooks add`
if (!secret || !bodyFile) {
  console.error("usage: WEBHOOK_SECRET=whsec_... node verify.mjs WEBHOOK_ID WEBHOOK_TIMESTAMP 'WEBHOOK_SIGNATURE' BODY_FILE");
  process.exit(2);
}

const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
let body;
try {
  body = verifyWebhook(headers, readFileSync(bodyFile), secret);
} catch (err) {
  // err.code: ERR_AUTH_SIGNATURE, ERR_AUTH_EXPIRED or ERR_AUTH_MISSING; a receiver answers 401.
  console.error(`refused: ${err.code} ${err.message}`);
  process.exit(1);
}
// One event, or a batch of them (an endpoint added with --batch), each with its own id.
const events = body.type === 'batch' ? body.events : [{ ...body, id }];
for (const event of events) console.log(`verified ${event.id} ${event.type} ${event.data.id}: ${event.data.status}`);
