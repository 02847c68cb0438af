import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Bus } from '../../src/domain/ports/bus.js';
import { RedisBus } from '../../src/drivers/redis/bus.js';
import { duplicateRedisConnection } from '../../src/drivers/redis/connection.js';
import { createBusEnvelopeCipher } from '../../src/crypto/node/at-rest.js';
import { TEST_REDIS_URL, redisMissing } from '../helpers/requirements.js';
import { RedisTestConnections } from '../helpers/redis.js';
import { eventually } from '../helpers/server.js';
import { runBusConformance } from './bus.suite.js';

const skip = redisMissing();

/** Each bus a node of its own: its own command and subscriber connections, one shared key. */
async function redisBuses(presenceTtlMs = 1000) {
  const connections = new RedisTestConnections(TEST_REDIS_URL!);
  const cipher = createBusEnvelopeCipher(randomBytes(32));
  const buses: RedisBus[] = [];
  return {
    connections,
    open: async (): Promise<RedisBus> => {
      const commands = await connections.open();
      const subscriber = connections.adopt(await duplicateRedisConnection(commands));
      const bus = new RedisBus({ commands, subscriber, cipher, keyPrefix: connections.prefix, presenceTtlMs });
      buses.push(bus);
      return bus;
    },
    cleanup: async () => {
      await Promise.all(buses.map((bus) => bus.close()));
      await connections.cleanup();
    },
  };
}

if (skip === undefined) {
  runBusConformance('redis', async () => {
    const fx = await redisBuses();
    return {
      open: fx.open,
      settle: (bus: Bus) => (bus as RedisBus).subscriptionsReady(),
      crash: (bus: Bus) => bus.close(),
      cleanup: fx.cleanup,
    };
  });

  const fx = await redisBuses();
  after(() => fx.cleanup());

  test('redis: an envelope crosses Redis sealed; a forged or altered one is dropped', async () => {
    const node = await fx.open();
    const received: string[] = [];
    node.subscribe('node-seal', (env) => received.push(Buffer.from(env.messages[0]!.data).toString('utf8')));
    await node.subscriptionsReady();
    const spy = fx.connections.adopt(await duplicateRedisConnection(await fx.connections.open()));
    const seen: Buffer[] = [];
    spy.on('messageBuffer', (_channel: Buffer, message: Buffer) => seen.push(message));
    await spy.subscribe(`${fx.connections.prefix}node:node-seal`);
    const publisher = await fx.open();
    const secret = 'the-plaintext-payload-7f3a';
    await publisher.publish('node-seal', { clientId: 'c1', messages: [{ seq: 1, id: 'm1', createdAt: 1, data: Buffer.from(`{"s":"${secret}"}`) }] });
    const raw = fx.connections.adopt(await fx.connections.open());
    const forged = Buffer.from(JSON.stringify({ c: 'c1', m: [[2, 'm2', 2, Buffer.from('{"s":"forged"}').toString('base64')]] }));
    await raw.publish(`${fx.connections.prefix}node:node-seal`, forged);
    await publisher.publish('node-seal', { clientId: 'c1', messages: [{ seq: 3, id: 'm3', createdAt: 3, data: Buffer.from('{"s":"last"}') }] });
    await eventually(async () => (seen.length >= 3 && received.length >= 2 ? true : undefined), 'three envelopes');
    assert.deepEqual(received, [`{"s":"${secret}"}`, '{"s":"last"}'], 'the forged envelope never reached the handler');
    const altered = Buffer.from(seen[0]!);
    altered[altered.length - 1]! ^= 1;
    await raw.publish(`${fx.connections.prefix}node:node-seal`, altered);
    await publisher.publish('node-seal', { clientId: 'c1', messages: [{ seq: 4, id: 'm4', createdAt: 4, data: Buffer.from('{"s":"after"}') }] });
    await eventually(async () => (received.length >= 3 ? true : undefined), 'the envelope after the altered one');
    assert.deepEqual(received.slice(2), ['{"s":"after"}'], 'the altered envelope never reached the handler');
    for (const message of seen) {
      assert.ok(!message.includes(secret) && !message.includes(Buffer.from(secret).toString('base64').slice(0, 12)), 'no plaintext on the wire');
    }
  });
} else {
  test('Redis bus conformance', { skip }, () => {});
}
