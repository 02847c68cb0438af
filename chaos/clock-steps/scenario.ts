/**
 * Clock steps (issue 18, scenario 4): the wall clock of a running node is stepped forward and
 * back, as NTP steps a clock that was wrong, under the crash loop's load (publishers retrying
 * with the same ids, resuming SDK clients, a status reader), whose publishers and reader sign
 * on the node's clock (the node's own host). After each step the probes (probes.ts) ask what
 * the documentation promises about the signature window, nonces, bearer tokens and the
 * registration limit, and at the end of it the statuses of messages with a short and a long
 * ttl are read. The load is judged by the crash loop's checkHistory (nothing lost, duplicated
 * or reordered, no status going back), the rest by judge.ts.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { runCli } from '../../test/helpers/process.js';
import { tempDir } from '../../test/helpers/server.js';
import { checkHistory, type Verdict } from '../crash-loop/history.js';
import { CrashLoad } from '../crash-loop/load.js';
import { judgeClockSteps, type ClockStepsVerdict, type StepRecord } from './judge.js';
import { AuthProbes, registrationBurst } from './probes.js';
import { startSteppedNode } from './setup.js';

export interface ClockStepsOptions {
  /** `sqlite`, or the mysql:// URL of a fresh, empty database. */
  readonly store: 'sqlite' | string;
  /** The node clock's offsets from the real one, s, stepped to in this order (it starts at 0). */
  readonly steps: readonly number[];
  /** How long a step forward lasts, ms: past the expiry sweep (5 s) and the nonce sweep (10 s). */
  readonly holdMs: number;
  /** How long a step back lasts, ms (what it tests is asked at once; the load runs on meanwhile). */
  readonly backHoldMs: number;
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  /** Time the clients get to catch up once the load stops, ms. */
  readonly settleMs: number;
  readonly onStep?: (done: number, offsetSeconds: number, accepted: number) => void;
}

export interface ClockStepsResult extends Verdict {
  readonly store: 'sqlite' | 'mysql';
  readonly steps: readonly StepRecord[];
  readonly judged: ClockStepsVerdict;
  readonly resent: number;
  /** Publishes refused with ERR_AUTH_EXPIRED at the instant of a step, and sent again. */
  readonly resentExpired: number;
  readonly resumes: number;
  readonly statusReads: number;
  readonly acked: number;
  readonly refusals: readonly string[];
  readonly drained: boolean;
  readonly auditVerified: boolean;
  readonly seconds: number;
  readonly passed: boolean;
}

/** Messages with a short ttl (expired by a step of an hour) and a long one (never, by these steps). */
const SHORT_TTL = 1800;
const LONG_TTL = 2 * 86_400;
const TTL_MESSAGES = 20;
const JWT_LIFETIME = 60;
const REGISTRATION_LIMIT = { ratePerSecond: 1, burst: 24 };
/**
 * Real time between the end of one registration burst and the start of the next: two tokens'
 * worth. A burst empties the bucket, and the limit refills with elapsed time, so without the gap
 * a fast machine (whose probes take less than a second) would find it empty after any step; with
 * it, a burst that gets no client through means a lockout.
 */
const REGISTRATION_GAP_MS = 2000 / REGISTRATION_LIMIT.ratePerSecond;

export async function runClockSteps(options: ClockStepsOptions): Promise<ClockStepsResult> {
  const started = Date.now();
  const dataDir = tempDir();
  const mysql = options.store !== 'sqlite';
  try {
    const stepped = await startSteppedNode(dataDir, ['clock-steps', 'registrations'], {
      env: mysql ? { SEALPUSH_STORE: options.store, SEALPUSH_MASTER_KEY: randomBytes(32).toString('hex') } : {},
      config: {
        limits: {
          readsPerSecondPerApp: 100_000, handshakesPerSecondPerIp: 100_000, failedAuthsPerSecondPerIp: 10_000,
          registrationsPerSecondPerApp: REGISTRATION_LIMIT.ratePerSecond, registrationBurstPerApp: REGISTRATION_LIMIT.burst,
        },
      },
    });
    const { node, clock } = stepped;
    const [app, other] = stepped.apps as [{ appId: string; secret: string }, { appId: string; secret: string }];
    try {
      const jwt = JSON.parse(await stepped.cli(['apps', 'jwt-key', app.appId, '--issuer', 'chaos', '--kid', 'h1', '--alg', 'HS256', '--json'])) as { secret: string };
      const onNodeClock = { url: node.url, appId: app.appId, secret: app.secret, fetch: clock.signingFetch(app.appId, app.secret) };
      const publisher = new SealPushApp({ ...onNodeClock, timeoutMs: 5000 });
      const reader = new SealPushApp({ ...onNodeClock, timeoutMs: 5000 });
      const sinks = await Promise.all(['probe', 'short', 'long'].map(() => offlineClient(node.url, app.appId, node.serverKey)));
      const [probeSink, shortSink, longSink] = sinks;
      const publishTo = async (to: string, ttl: number): Promise<string[]> =>
        (await publisher.publishBatch(Array.from({ length: TTL_MESSAGES }, (_, n) => ({ to, data: { n }, ttl })))).map((r) => ('id' in r ? r.id : JSON.stringify(r)));
      const shortIds = await publishTo(shortSink!.clientId, SHORT_TTL);
      const shortExpireAtMs = clock.now() + SHORT_TTL * 1000;
      const longIds = await publishTo(longSink!.clientId, LONG_TTL);
      const statuses = async (ids: readonly string[]): Promise<string[]> => Promise.all(ids.map(async (id) => (await reader.status(id)).status));

      const load = new CrashLoad({
        url: node.url, appId: app.appId, secret: app.secret, serverKey: node.serverKey, fetch: onNodeClock.fetch,
        clients: options.clients, batchClients: 4, paceMs: options.paceMs, churnMs: options.churnMs, ttlSeconds: LONG_TTL, alsoRetry: ['ERR_AUTH_EXPIRED'],
      });
      const probes = new AuthProbes({ url: node.url, ...app, to: probeSink!.clientId, jwt: { issuer: 'chaos', kid: 'h1', secret: jwt.secret }, jwtLifetimeSeconds: JWT_LIFETIME }, clock);
      const records: StepRecord[] = [];
      await load.start();
      let previous = 0;
      let burstEndedAt = -Infinity;
      for (const [i, offset] of [0, ...options.steps].entries()) {
        const stepStarted = Date.now();
        const holdMs = i === 0 ? 0 : offset > previous ? options.holdMs : options.backHoldMs;
        previous = offset;
        await clock.step(offset * 1000, node.pid!);
        const hmac = await probes.hmac(i);
        const jwtProbe = await probes.jwt(i);
        await pause(Math.max(0, burstEndedAt + REGISTRATION_GAP_MS - performance.now()));
        const registrations = await registrationBurst({ url: node.url, appId: other.appId, serverKey: node.serverKey }, REGISTRATION_LIMIT.burst + 6);
        burstEndedAt = performance.now();
        await pause(Math.max(0, stepStarted + holdMs - Date.now()));
        records.push({ offsetSeconds: offset, hmac, jwt: jwtProbe, registrations, readAtMs: clock.now(), short: await statuses(shortIds), long: await statuses(longIds) });
        options.onStep?.(i, offset, load.publishedCount);
      }
      await load.stop();
      const drained = await load.drained(Date.now() + options.settleMs);
      await load.close();
      const final = await load.finalStatuses(Date.now() + options.settleMs);
      const acked = new Set([...final].filter(([, status]) => status === 'acked').map(([id]) => id));
      const longReceived = await receiveAll(longSink!, longIds.length, Date.now() + options.settleMs);
      const shortReceived = await receiveBefore(shortSink!, publisher, Date.now() + options.settleMs);
      const audit = await runCli(['--data', dataDir, 'audit', 'verify'], stepped.env);
      const verdict = checkHistory({ accepted: load.accepted, received: load.received, statuses: load.statuses, ackedWebhooks: new Set(), acked: new Set() });
      const judged = judgeClockSteps({
        steps: records, shortExpireAtMs, jwtLifetimeSeconds: JWT_LIFETIME, registrationLimit: REGISTRATION_LIMIT,
        shortReceived, longSent: longIds, longReceived,
      });
      const statusReads = [...load.statuses.values()].reduce((n, reads) => n + reads.length, 0);
      return {
        ...verdict, store: mysql ? 'mysql' : 'sqlite', steps: records, judged, resent: load.resent, resentExpired: load.resentFor.ERR_AUTH_EXPIRED ?? 0, resumes: load.resumes, statusReads,
        acked: acked.size, refusals: load.refusals, drained, auditVerified: audit.code === 0, seconds: (Date.now() - started) / 1000,
        passed: verdict.ok && judged.ok && drained && audit.code === 0 && load.refusals.length === 0 && acked.size === verdict.accepted,
      };
    } finally {
      await node.stop().catch(() => undefined);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A registered client that went offline: its saved session, to come back with at the end. */
interface OfflineClient {
  readonly clientId: string;
  readonly session: ReturnType<SealPushClient['session']>;
  readonly url: string;
  readonly appId: string;
  readonly serverKey: string;
}

async function offlineClient(url: string, appId: string, serverKey: string): Promise<OfflineClient> {
  const client = await connect({ url, appId, serverKey });
  await client.close();
  return { clientId: client.clientId, session: client.session(), url, appId, serverKey };
}

async function reconnect(offline: OfflineClient, received: string[]): Promise<SealPushClient> {
  const client = await connect({ url: offline.url, appId: offline.appId, serverKey: offline.serverKey, session: offline.session });
  client.on('message', (m) => received.push(m.id));
  return client;
}

/** Connects `offline` again and collects what it receives until `count` arrived or `deadline`. */
async function receiveAll(offline: OfflineClient, count: number, deadline: number): Promise<string[]> {
  const received: string[] = [];
  const client = await reconnect(offline, received);
  while (received.length < count && Date.now() < deadline) await pause(50);
  await client.close();
  return received;
}

/**
 * Connects `offline` again and publishes a marker to it: messages arrive in order, so whatever
 * was still deliverable to it arrives before the marker. Returns those (not the marker).
 */
async function receiveBefore(offline: OfflineClient, publisher: SealPushApp, deadline: number): Promise<string[]> {
  const received: string[] = [];
  const client = await reconnect(offline, received);
  const marker = (await publisher.publish({ to: offline.clientId, data: { marker: true } })).id;
  while (!received.includes(marker) && Date.now() < deadline) await pause(50);
  await client.close();
  return received.filter((id) => id !== marker);
}
