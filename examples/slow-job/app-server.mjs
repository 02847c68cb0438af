#!/usr/bin/env node
// The seed paper's application: it takes a slow, risky job from a client over HTTP, answers
// at once, works for a while, and hands the result to sealpush for that client. The client
// does not hold a connection to this server while it waits.
//
//   SEALPUSH_URL=http://127.0.0.1:8080 SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... node app-server.mjs
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SealPushApp } from 'sealpush/app';

const sealpush = new SealPushApp({
  url: process.env.SEALPUSH_URL ?? 'http://127.0.0.1:8080',
  appId: required('SEALPUSH_APP_ID'),
  secret: required('SEALPUSH_APP_SECRET'),
});
const port = Number(process.env.PORT ?? 3000);

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/jobs') return reply(res, 404, { error: 'POST /jobs only' });
  let job;
  try {
    job = JSON.parse(await body(req));
  } catch {
    return reply(res, 400, { error: 'body must be JSON' });
  }
  if (typeof job.clientId !== 'string') return reply(res, 400, { error: 'clientId (from sealpush) is required' });
  const jobId = randomUUID();
  const seconds = Math.min(Number(job.seconds ?? 3), 60);
  reply(res, 202, { jobId, seconds });

  setTimeout(async () => {
    const result = { jobId, kind: job.kind ?? 'report', outcome: 'approved', finishedAt: new Date().toISOString() };
    try {
      // The job id doubles as the idempotency key: a retry after a crash never sends twice.
      const { id } = await sealpush.publish({ to: job.clientId, data: result, id: `job-${jobId}`, ttl: 3600 });
      console.log(`job ${jobId} done; sealpush message ${id}`);
    } catch (err) {
      console.error(`job ${jobId}: publish failed: ${err.code ?? ''} ${err.message}`);
    }
  }, seconds * 1000);
});

server.listen(port, '127.0.0.1', () => console.log(`slow-job app listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close());

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required (sealpush apps create NAME --json prints appId and secret)`);
    process.exit(2);
  }
  return value;
}

function body(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function reply(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
