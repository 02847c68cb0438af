// The per-address and per-app limits of issue 13 (item 5): their defaults, as the config
// gives them and as docs/configuration.md states them, and the reasoning behind the
// handshake default (one address gets a few percent of one core, not more than the node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.js';

/** Full handshakes one node completes per CPU-second, key confirmation included (docs/performance.md 6d). */
const HANDSHAKES_PER_CPU_SECOND = 600;

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

/** The default column of `name`'s row in a docs/configuration.md table (Options: the 4th column, Limits: the 2nd). */
function documentedDefault(name: string): string | undefined {
  const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
  const cells = row?.split('|').map((cell) => cell.trim().replace(/`/g, ''));
  return cells === undefined ? undefined : cells[cells.length > 5 ? 4 : 2];
}

test('handshake defaults sit well below one core: one address gets at most 5% of it, its burst at most a tenth of a core-second', () => {
  const { handshakesPerSecondPerIp, handshakeBurstPerIp } = parseConfig({}).limits;
  assert.ok(handshakesPerSecondPerIp / HANDSHAKES_PER_CPU_SECOND <= 0.05, `${handshakesPerSecondPerIp}/s is more than 5% of a core`);
  const burst = handshakeBurstPerIp ?? handshakesPerSecondPerIp;
  assert.ok(burst / HANDSHAKES_PER_CPU_SECOND <= 0.1, `a burst of ${burst} is more than 0.1 core-second`);
});

test('every new limit is documented with the default the config gives it', () => {
  const config = parseConfig({});
  const limits: Record<string, number> = {
    handshakesPerSecondPerIp: config.limits.handshakesPerSecondPerIp,
    maxConnectionsPerIp: config.limits.maxConnectionsPerIp,
    maxHttpConnectionsPerIp: config.limits.maxHttpConnectionsPerIp,
    httpRequestTimeoutMs: config.limits.httpRequestTimeoutMs,
    httpHeadersTimeoutMs: config.limits.httpHeadersTimeoutMs,
    httpKeepAliveTimeoutMs: config.limits.httpKeepAliveTimeoutMs,
    maxNonces: config.limits.maxNonces,
    maxNoncesPerApp: config.limits.maxNoncesPerApp,
    clientRetentionDays: config.clientRetentionDays,
  };
  for (const [name, value] of Object.entries(limits)) assert.equal(documentedDefault(name), String(value), name);
});

test('the headers timeout may not exceed the request timeout', () => {
  assert.throws(() => parseConfig({ limits: { httpRequestTimeoutMs: 1000, httpHeadersTimeoutMs: 2000 } }), (err: unknown) => err instanceof ConfigError && /httpHeadersTimeoutMs/.test(err.message));
});

test('every webhooks option is documented with the default the config gives it', () => {
  const webhooks = parseConfig({}).webhooks as Record<string, unknown>;
  assert.ok(Object.keys(webhooks).length >= 9);
  for (const [key, value] of Object.entries(webhooks)) {
    assert.equal(documentedDefault(`webhooks.${key}`), String(value), `webhooks.${key}`);
  }
});

test('SEALPUSH_WEBHOOK_ALLOW_PRIVATE turns webhooks.allowPrivate on (1) or off (0), beside the other webhooks options', () => {
  assert.equal(loadConfig({ env: {} }).webhooks.allowPrivate, false);
  assert.equal(loadConfig({ env: { SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '1' } }).webhooks.allowPrivate, true);
  assert.equal(loadConfig({ env: { SEALPUSH_WEBHOOK_ALLOW_PRIVATE: '0' } }).webhooks.allowPrivate, false);
  assert.throws(() => loadConfig({ env: { SEALPUSH_WEBHOOK_ALLOW_PRIVATE: 'yes please' } }), /webhooks\.allowPrivate/);
});
