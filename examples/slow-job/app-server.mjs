#!/usr/bin/env node
// The seed paper's application: it takes a slow, risky job from a client over HTTP, answers
// at once, works for a while, and hands the result to sealpush for that client. The client
// does not hold a connection to this server while it waits.
//
//   SEALPUSH_URL=http://127.0.0.1:8080 SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... \
//   SEALPUSH_SERVER_KEY=... [SEALPUSH_COHORT_APP_ID=... SEALPUSH_COHORT_APP_SECRET=...] node app-server.mjs
//
// GET /config tells a client what to connect to (sealpush's URL, the app id for each mode, and
// the server key it pins): a real application ships these to its clients in the same way.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SealPushApp } from 'sealpush/app';

const sealpushUrl = process.env.SEALPUSH_URL ?? 'http://127.0.0.1:8080';
const apps = { direct: publisher(required('SEALPUSH_APP_ID'), required('SEALPUSH_APP_SECRET')) };
if (process.env.SEALPUSH_COHORT_APP_ID) {
  apps.cohort = publisher(process.env.SEALPUSH_COHORT_APP_ID, required('SEALPUSH_COHORT_APP_SECRET'));
}
const serverKey = process.env.SEALPUSH_SERVER_KEY;
const port = Number(process.env.PORT ?? 3000);

// Any origin may call this server (the /demo page is served by sealpush, another origin). That
// is safe here: nothing rides on cookies or other credentials, so a foreign page gains nothing
// it could not get by calling the endpoint itself, which anyone who reaches it can.
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

const server = createServer(async (req, res) => {
  if (req.method === 'OPTIONS') return res.writeHead(204, CORS).end();
  if (req.method === 'GET' && req.url === '/config') return config(res);
  if (req.method !== 'POST' || req.url !== '/jobs') return reply(res, 404, { error: 'GET /config or POST /jobs only' });
  let job;
  try {
    job = JSON.parse(await body(req));
  } catch {
    return reply(res, 400, { error: 'body must be JSON' });
  }
  if (typeof job?.clientId !== 'string') return reply(res, 400, { error: 'clientId (from sealpush) is required' });
  const mode = job.mode ?? 'direct';
  if (mode !== 'direct' && mode !== 'cohort') return reply(res, 400, { error: 'mode must be "direct" or "cohort"' });
  if (!apps[mode]) return reply(res, 400, { error: 'cohort mode is not configured (set SEALPUSH_COHORT_APP_ID and SEALPUSH_COHORT_APP_SECRET)' });
  const jobId = randomUUID();
  const seconds = Math.min(Number(job.seconds ?? 3), 60);
  reply(res, 202, { jobId, seconds, mode });

  setTimeout(async () => {
    const result = { jobId, kind: job.kind ?? 'report', outcome: 'approved', finishedAt: new Date().toISOString() };
    try {
      // The job id doubles as the idempotency key: a retry after a crash never sends twice.
      const { id } = await apps[mode].sdk.publish({ to: job.clientId, data: result, id: `job-${jobId}`, ttl: 3600 });
      console.log(`job ${jobId} done; sealpush message ${id}`);
    } catch (err) {
      console.error(`job ${jobId}: publish failed: ${err.code ?? ''} ${err.message}`);
    }
  }, seconds * 1000);
});

server.listen(port, '127.0.0.1', () => console.log(`slow-job app listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close());

function config(res) {
  if (!serverKey) return reply(res, 503, { error: 'SEALPUSH_SERVER_KEY is not set: the app has no server key to give its clients (sealpush keys show --json)' });
  const ids = Object.fromEntries(Object.entries(apps).map(([mode, app]) => [mode, { appId: app.appId }]));
  return reply(res, 200, { sealpushUrl, serverKey, apps: ids });
}

function publisher(appId, secret) {
  return { appId, sdk: new SealPushApp({ url: sealpushUrl, appId, secret }) };
}

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
  res.writeHead(status, { 'content-type': 'application/json', ...CORS }).end(JSON.stringify(value));
}
