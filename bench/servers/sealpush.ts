/**
 * sealpush under test: a real node (`startServer`) over a fresh temporary data directory,
 * with one app created through the admin path. Durability from BENCH_DURABILITY ('full',
 * the product's default, or 'normal'). Prints `{"url","appId","secret","serverKey","pid"}`
 * on stdout; removes its data directory when it stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config.js';
import { openCore } from '../../src/compose/core.js';
import { startServer } from '../../src/server.js';
import { announce, stopWhenAsked } from './lifecycle.js';

const durability = process.env.BENCH_DURABILITY === 'normal' ? 'normal' : 'full';
// BENCH_COMMIT_INTERVAL_MS: the group-commit spacing to measure (the product default when unset).
const commitInterval = process.env.BENCH_COMMIT_INTERVAL_MS;
// BENCH_DELIVERED_HOLD_MS: how long delivered marks wait for their ACK (the product default when unset).
const deliveredHold = process.env.BENCH_DELIVERED_HOLD_MS;
const dataDir = mkdtempSync(join(tmpdir(), 'sealpush-bench-'));
const logger = pino({ level: 'silent' });
// Every client of the bench connects from 127.0.0.1 as a new client, and the baselines limit
// nothing: the per-address handshake and connection limits, and the per-app registration and
// publish limits are lifted out
// of the measurement.
const config = parseConfig({
  dataDir,
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  durability,
  ...(commitInterval === undefined ? {} : { commitIntervalMs: Number(commitInterval) }),
  ...(deliveredHold === undefined ? {} : { deliveredHoldMs: Number(deliveredHold) }),
  limits: {
    handshakesPerSecondPerIp: 1_000_000,
    maxConnectionsPerIp: 1_000_000,
    maxHandshakesInProgress: 1_000_000,
    maxHttpConnectionsPerIp: 1_000_000,
    publishesPerSecondPerApp: 10_000_000,
    registrationsPerSecondPerApp: 1_000_000,
  },
});

const core = await openCore(config, logger);
const app = await core.apps.create('bench');
await core.close();

const server = await startServer(config, logger);
announce({ url: server.url, appId: app.appId, secret: app.secret, serverKey: server.identity.publicKey, pid: process.pid });

stopWhenAsked(async () => {
  try {
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
