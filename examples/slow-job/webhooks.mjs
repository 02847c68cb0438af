#!/usr/bin/env node
// The application hears back: sealpush POSTs a signed webhook when a job's result is acked by
// its client, or expires unread. This receiver verifies each request with verifyWebhook and
// prints the job's final status ("job <jobId>: acked"). sealpush sends to https only, so it
// serves https with the certificate and key given.
//
//   WEBHOOK_SECRET=whsec_... TLS_CERT=cert.pem TLS_KEY=key.pem [PORT=3001] node webhooks.mjs
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { verifyWebhook } from 'sealpush/app';

const secret = required('WEBHOOK_SECRET'); // printed once by `sealpush webhooks add`
const tls = { cert: readFileSync(required('TLS_CERT')), key: readFileSync(required('TLS_KEY')) };
const port = Number(process.env.PORT ?? 3001);
// Delivery is at least once: an event may come again, with the same id. A real application
// keeps the ids it handled in its database; this example, in memory.
const handled = new Set();

const server = createServer(tls, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let body;
    try {
      body = verifyWebhook(req.headers, Buffer.concat(chunks), secret);
    } catch (err) {
      console.error(`refused a request: ${err.code}`);
      return res.writeHead(401).end();
    }
    const events = body.type === 'batch' ? body.events : [{ ...body, id: req.headers['webhook-id'] }];
    for (const event of events) {
      if (handled.has(event.id)) continue;
      handled.add(event.id);
      // app-server.mjs publishes each job's result with the message id `job-<jobId>`.
      console.log(`job ${event.data.id.replace(/^job-/, '')}: ${event.data.status}`);
    }
    res.writeHead(204).end(); // answer at once: sealpush waits at most 10 s
  });
});

server.listen(port, '127.0.0.1', () => console.log(`slow-job webhooks listening on https://127.0.0.1:${server.address().port}/webhooks`));
process.on('SIGTERM', () => server.close());

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (see examples/slow-job/README.md, "Hearing back")`);
    process.exit(2);
  }
  return value;
}
