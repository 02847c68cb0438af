// The SDK's side of cohort envelopes (src/client/cohort-inbox.ts): each connection's envelopes
// must carry the envelope counters 0, 1, 2, ... in its slots. A gap (a dropped envelope, the
// first one included), a counter going back (a replayed envelope), an envelope without this
// connection's slot, or anything after a failure is ERR_FRAME, and hands nothing over.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CohortInbox } from '../../src/client/cohort-inbox.js';
import { sealCohortEnvelope } from '../../src/crypto/cohort.js';
import { encodeDeliver } from '../../src/crypto/frames.js';
import { utf8Encode } from '../../src/crypto/encoding.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';

const secret = randomBytes(32);
const other = randomBytes(32);
let tick = 100;

/** An envelope of two members: this client's slot with `counter` (and message `seq`, if any), and another's. */
function envelope(counter: number, seq?: number, slotSecret: Uint8Array = secret): Promise<Uint8Array> {
  const bundle = seq === undefined ? new Uint8Array(0) : encodeDeliver([{ seq, createdAt: 1, id: `m${seq}`, data: utf8Encode('{}') }]);
  return sealCohortEnvelope(
    nodeNoiseCrypto,
    { appId: 'app_inbox', tick: tick++, salt: randomBytes(16), slotCount: 4, slotBytes: 128 },
    [
      { secret: slotSecret, counter, bundle },
      { secret: other, counter: 50, bundle: new Uint8Array(0) },
    ],
    randomBytes,
  );
}

const inbox = (): CohortInbox => new CohortInbox(nodeNoiseCrypto, secret);

describe('CohortInbox: the envelope counter of each connection', () => {
  it('opens 0, 1, 2, ... in order: a slot with messages is a DELIVER, an empty one a heartbeat', async () => {
    const box = inbox();
    assert.deepEqual(await box.open(await envelope(0)), { type: 'heartbeat' });
    const frame = await box.open(await envelope(1, 7));
    assert.equal(frame.type, 'deliver');
    assert.deepEqual(frame.type === 'deliver' && frame.messages.map((m) => m.seq), [7]);
    assert.deepEqual(await box.open(await envelope(2)), { type: 'heartbeat' });
  });

  it('a dropped first envelope: the first one to arrive says 1, not 0', async () => {
    await assert.rejects(inbox().open(await envelope(1, 1)), { code: 'ERR_FRAME', message: /counter 1, expected 0/ });
  });

  it('a dropped envelope later on: a gap is refused, its messages not handed over, and the inbox is dead', async () => {
    const box = inbox();
    await box.open(await envelope(0, 1));
    await assert.rejects(box.open(await envelope(2, 3)), { code: 'ERR_FRAME', message: /counter 2, expected 1/ });
    // Even the envelope that was missing does not open afterwards: the connection must close.
    await assert.rejects(box.open(await envelope(1, 2)), { code: 'ERR_FRAME', message: /earlier envelope/ });
  });

  it('a counter going back (an envelope replayed) is refused', async () => {
    const box = inbox();
    const first = await envelope(0, 1);
    await box.open(first);
    await assert.rejects(box.open(first), { code: 'ERR_FRAME', message: /counter 0, expected 1/ });
  });

  it("an envelope without this connection's slot (another cohort's, swapped in) is refused", async () => {
    await assert.rejects(inbox().open(await envelope(0, 1, randomBytes(32))), { code: 'ERR_FRAME', message: /no slot/ });
  });

  it('a malformed envelope is ERR_PROTOCOL and kills the inbox too', async () => {
    const box = inbox();
    await assert.rejects(box.open(new Uint8Array(3)), { code: 'ERR_PROTOCOL' });
    await assert.rejects(box.open(await envelope(0)), { code: 'ERR_FRAME' });
  });
});
