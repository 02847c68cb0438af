// trustProxy (config, default off): behind one reverse proxy every socket's peer is the proxy,
// so with it on the handshake-per-IP limit counts the last X-Forwarded-For entry (the one the
// proxy appended); with it off that header is ignored, so a client cannot pick its own bucket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clientAddress } from '../../src/transport/client-address.js';

/** One WebSocket upgrade with that X-Forwarded-For: 'open' or the HTTP status it was refused with. */
function upgrade(server: TestServer, forwardedFor: string): Promise<string> {
  const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/v1/ws', { headers: { 'x-forwarded-for': forwardedFor } });
  return new Promise((resolve) => {
    ws.once('open', () => {
      resolve('open');
      ws.terminate();
    });
    ws.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
    ws.once('error', () => undefined);
  });
}

// One upgrade per address, refilled at one per 1000 s: nothing refills while the test runs.
const limits = { handshakesPerSecondPerIp: 0.001, handshakeBurstPerIp: 1 };

describe('trustProxy on: the client address is the last X-Forwarded-For entry', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ trustProxy: true, limits });
  });
  after(() => server.close());

  test('each forwarded client has its own handshake budget; a forged earlier entry does not make a new one', async () => {
    assert.equal(await upgrade(server, '198.51.100.1'), 'open');
    assert.equal(await upgrade(server, '198.51.100.2'), 'open', 'another client behind the same proxy');
    assert.equal(await upgrade(server, '203.0.113.9, 198.51.100.1'), 'http 429', 'the proxy-appended entry counts, not what the client prepended');
  });
});

describe('trustProxy off (the default): X-Forwarded-For is ignored', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ limits });
  });
  after(() => server.close());

  test('every upgrade from one socket address shares one budget, whatever the header says', async () => {
    assert.equal(await upgrade(server, '198.51.100.1'), 'open');
    assert.equal(await upgrade(server, '198.51.100.2'), 'http 429');
  });
});

test('clientAddress: the last entry when trusted, the peer otherwise or when the header is empty', () => {
  assert.equal(clientAddress('10.0.0.1', 'a, b ,c ', true), 'c');
  assert.equal(clientAddress('10.0.0.1', ['a', 'b'], true), 'b');
  assert.equal(clientAddress('10.0.0.1', ' ', true), '10.0.0.1');
  assert.equal(clientAddress('10.0.0.1', 'a', false), '10.0.0.1');
  assert.equal(clientAddress(undefined, undefined, true), 'unknown');
});
