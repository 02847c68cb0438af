/**
 * A little fuzzing of the REST bodies on the real server: random deep, broken and garbage
 * JSON, signed so that it reaches the parser and the routes, never gets a 5xx and never stops
 * the node. Bounded (a fixed seed and count) so that it runs in `npm test` every time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { rawSender } from '../helpers/json-bodies.js';
import { prng } from '../helpers/prng.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SEED = Number(process.env.SEALPUSH_FUZZ_SEED ?? 20261204);
const ROUNDS = 150;

const PIECES = ['[', ']', '{', '}', '"', '\\', ':', ',', '1', '-0.5e9', 'true', 'null', '"a"', '"to"', '"data"', '"messages"', ' ', '\u00e9', '\ud800', '\u0000'];

/** Random `[` and `{"k":` levels, `depth` of them, closed (valid JSON) or not. */
function levels(random: () => number, depth: number, closed: boolean): string {
  const opens = Array.from({ length: depth }, () => random() < 0.5);
  const body = opens.map((array) => (array ? '["]\\"",' : '{"k":')).join('') + '0';
  return closed ? body + opens.reverse().map((array) => (array ? ']' : '}')).join('') : body;
}

function garbage(random: () => number, to: string): string {
  const roll = random();
  const depth = Math.floor(random() ** 2 * 20_000);
  if (roll < 0.3) return `{"to":"${to}","data":${levels(random, depth, true)}}`; // valid, of any depth
  if (roll < 0.4) return `{"messages":[{"to":"${to}","data":${levels(random, depth, true)}}]}`;
  if (roll < 0.6) return `{"to":"${to}","data":${levels(random, depth, false)}`; // deep, then cut short
  let body = roll < 0.8 ? `{"to":"${to}","data":` : '';
  for (let n = Math.floor(random() * 3000); n > 0; n--) body += PIECES[Math.floor(random() * PIECES.length)];
  return body;
}

let server: TestServer;
let send: ReturnType<typeof rawSender>;
let to: string;

before(async () => {
  server = await startTestServer();
  send = rawSender(server);
  const c = await connect({ url: server.url, appId: server.app.appId, serverKey: server.identity.publicKey });
  to = c.clientId;
  await c.close();
});
after(() => server.close());

test(`${ROUNDS} random deep or garbage bodies (seed ${SEED}) on publish and batch: never a 5xx, always a catalogue code`, async () => {
  const random = prng(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const route = random() < 0.5 ? '/v1/messages' : '/v1/messages/batch';
    const body = garbage(random, to);
    const res = await send('POST', route, body);
    assert.ok(res.status < 500, `round ${round} (seed ${SEED}) ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) assert.match(res.body.error?.code ?? '', /^ERR_[A-Z_]+$/, `round ${round}: ${JSON.stringify(res.body)}`);
  }
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});
