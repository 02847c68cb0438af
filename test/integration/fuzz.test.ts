// A short run of the fuzzer (chaos/fuzz, `npm run fuzz`) on every `npm test`: mutated REST
// requests and WebSocket hellos and frames against a real `sealpush serve` process, judged by
// the oracle (test/unit/fuzz-oracle.test.ts shows it fails when it should). A failure prints
// each finding with the seed and index that replay it: `npm run fuzz -- --target T --seed S --only I`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../chaos/fuzz/run.js';

const SEED = Number(process.env.SEALPUSH_FUZZ_SEED ?? 20261206);

test(`3,000 REST requests and 600 WebSocket connections (seed ${SEED}): no crash, no 5xx, only catalogue codes, healthy after`, async () => {
  const result = await runFuzz({ target: 'all', cases: 3000, wsCases: 600, seed: SEED, concurrency: 16, rssBoundBytes: 150 * 1024 * 1024 });
  assert.deepEqual(result.findings, [], `replay: npm run fuzz -- --seed ${SEED} --only <index>`);
  assert.equal(result.passed, true);
  assert.deepEqual([result.crashes, result.rest?.status5xx, result.ws?.status5xx], [0, 0, 0]);
  // The run reached past authentication and the handshake: validation and frame checks answered.
  assert.ok((result.rest?.accepted ?? 0) > 0 && (result.rest?.refusals.ERR_BAD_REQUEST ?? 0) > 0, JSON.stringify(result.rest));
  assert.ok((result.ws?.refusals.ERR_FRAME ?? 0) > 0 && (result.ws?.refusals.ERR_PROTOCOL ?? 0) > 0, JSON.stringify(result.ws));
  assert.ok((result.ws?.frames.sent ?? 0) >= 3000, `${result.ws?.frames.sent} frames`);
});
