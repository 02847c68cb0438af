// Transport frame ciphers, server (sodium-native, sync) and browser SDK (@noble/ciphers, promises): a replayed,
// reordered, truncated or altered frame fails with ERR_FRAME, and the opener stays dead.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSealPushError } from '../../src/domain/errors.js';
import { FrameOpener, FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { WebFrameOpener, WebFrameSealer } from '../../src/crypto/web/frame-cipher.js';

const isFrameError = (err: unknown) => isSealPushError(err) && err.code === 'ERR_FRAME';

interface Pair {
  seal(p: Uint8Array): Promise<Uint8Array>;
  open(s: Uint8Array): Promise<Uint8Array>;
  readonly openerCounter: number;
}

const FACTORIES: [string, (key: Uint8Array) => Pair][] = [
  [
    'node FrameSealer/FrameOpener',
    (key) => {
      const sealer = new FrameSealer(key);
      const opener = new FrameOpener(key);
      return {
        seal: async (p) => sealer.seal(p),
        open: async (s) => opener.open(s),
        get openerCounter() {
          return opener.counter;
        },
      };
    },
  ],
  [
    'WebFrameSealer/WebFrameOpener',
    (key) => {
      const sealer = new WebFrameSealer(key);
      const opener = new WebFrameOpener(key);
      return {
        seal: (p) => sealer.seal(p),
        open: (s) => opener.open(s),
        get openerCounter() {
          return opener.counter;
        },
      };
    },
  ],
];

const frame = (n: number) => Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0, n);

for (const [name, makePair] of FACTORIES) {
  describe(name, () => {
    const setup = async () => {
      const pair = makePair(new Uint8Array(randomBytes(32)));
      const sealed = [await pair.seal(frame(1)), await pair.seal(frame(2)), await pair.seal(frame(3))];
      return { pair, sealed };
    };

    it('opens frames in order', async () => {
      const { pair, sealed } = await setup();
      for (const [i, s] of sealed.entries()) assert.deepEqual([...(await pair.open(s))], [...frame(i + 1)]);
      assert.equal(pair.openerCounter, 3);
    });

    it('rejects a replayed frame, then stays dead', async () => {
      const { pair, sealed } = await setup();
      await pair.open(sealed[0]!);
      await assert.rejects(pair.open(sealed[0]!), isFrameError);
      assert.equal(pair.openerCounter, 1);
      await assert.rejects(pair.open(sealed[1]!), isFrameError);
    });

    it('rejects a reordered (or dropped) frame', async () => {
      const { pair, sealed } = await setup();
      await assert.rejects(pair.open(sealed[1]!), isFrameError);
      await assert.rejects(pair.open(sealed[0]!), isFrameError);
    });

    it('rejects a truncated frame', async () => {
      const { pair, sealed } = await setup();
      await assert.rejects(pair.open(sealed[0]!.subarray(0, sealed[0]!.length - 1)), isFrameError);
    });

    it('rejects a frame shorter than a tag, and an empty one', async () => {
      for (const bytes of [new Uint8Array(15), new Uint8Array(0)]) {
        const { pair } = await setup();
        await assert.rejects(pair.open(bytes), isFrameError);
      }
    });

    it('rejects a frame with any one bit flipped', async () => {
      const { sealed } = await setup();
      for (let bit = 0; bit < sealed[0]!.length * 8; bit += 13) {
        const { pair } = await setup();
        const altered = sealed[0]!.slice();
        altered[bit >> 3] = altered[bit >> 3]! ^ (1 << (bit & 7));
        await assert.rejects(pair.open(altered), isFrameError, `bit ${bit}`);
      }
    });

    it('rejects a frame sealed under another key', async () => {
      const { pair } = await setup();
      const other = makePair(new Uint8Array(randomBytes(32)));
      await assert.rejects(pair.open(await other.seal(frame(1))), isFrameError);
    });
  });
}

describe('WebFrameSealer/WebFrameOpener ordering', () => {
  it('keeps call order for overlapping calls', async () => {
    const key = new Uint8Array(randomBytes(32));
    const sealer = new WebFrameSealer(key, 65_530);
    const opener = new WebFrameOpener(key, 65_530);
    const sealed = await Promise.all(Array.from({ length: 12 }, (_, i) => sealer.seal(frame(i))));
    const opened = await Promise.all(sealed.map((s) => opener.open(s)));
    assert.deepEqual(opened.map((p) => p[8]), Array.from({ length: 12 }, (_, i) => i));
    assert.equal(opener.counter, 65_542);
  });

  it('matches the node cipher across a rekey boundary', async () => {
    const key = new Uint8Array(randomBytes(32));
    const node = new FrameSealer(key, 65_534);
    const web = new WebFrameOpener(key, 65_534);
    for (let i = 0; i < 4; i++) assert.deepEqual([...(await web.open(node.seal(frame(i))))], [...frame(i)]);
  });
});
