// The short form of `npm run chaos -- clients` (docs/reliability.md): a few clients that stop
// reading and a few that vanish behind a blackhole, beside healthy ones, then a storm of 1,000
// resuming clients after a kill -9; every rule of verdict.ts must hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClients } from '../../chaos/clients/scenario.js';
import { CLIENTS_QUICK } from '../../chaos/clients/variants.js';

test('slow, vanishing and storming clients: closed by the rules, memory bounded, nothing lost', { timeout: 240_000 }, async () => {
  const result = await runClients(CLIENTS_QUICK);
  const summary = JSON.stringify({ stall: { ...result.stall, history: undefined }, storm: { ...result.storm, history: undefined } });
  assert.deepEqual(result.problems, [], summary);
  assert.ok(result.stall.slow.length > 0 && result.stall.vanished.length > 0 && result.storm.resumed === result.storm.clients);
  assert.ok(result.stall.history.accepted > 0 && result.storm.history.accepted >= 2 * result.storm.clients, 'messages went to every client before and after');
  assert.equal(result.passed, true);
});
