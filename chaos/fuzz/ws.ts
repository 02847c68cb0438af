/**
 * The WebSocket half of the fuzzer: each case is one real connection to the real server, a
 * pool of them in flight. Each pool slot owns one client static key and runs its connections
 * one after another, so that the run registers only as many clients as it has slots and no
 * two of its connections replace each other. Every close the server makes goes to the oracle.
 */
import { WebSocket } from 'ws';
import { encodeAck, encodeConfirm } from '../../src/crypto/frames.js';
import { FrameSealer } from '../../src/crypto/node/frame-cipher.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';
import type { KeyPair } from '../../src/crypto/noise/primitives.js';
import { helloTo } from '../../test/helpers/hello.js';
import { applyMutations } from './mutate.js';
import type { CaseRef, Oracle } from './oracle.js';
import { caseIndices, caseValue, runPool } from './schedule.js';
import type { RunOptions } from './rest.js';
import type { FuzzTarget } from './target.js';
import { CLIENT_PLAINTEXTS, helloBytes, wsCaseArb, wsCaseLabel, type FrameRecipe, type WsCase } from './ws-cases.js';

/** Frames sent over the run: all of them, and those made wrong (hellos included). */
export interface FrameCounts {
  sent: number;
  mutated: number;
}

/** Time one connection may take, its frames sent and the server's close received. */
const CASE_TIMEOUT_MS = 20_000;
/** Time after the wrong frame past which the server is taken to have found it valid. */
const VALID_AFTER_ALL_MS = 5_000;

export async function runWs(target: FuzzTarget, oracle: Oracle, options: RunOptions, counts: FrameCounts): Promise<void> {
  const keys: KeyPair[] = [];
  for (let n = 0; n < options.concurrency; n++) keys.push(await nodeNoiseCrypto.generateKeyPair());
  const previousHello = new Map<KeyPair, Uint8Array>();
  const indexOf = caseIndices(options.cases, options.only);
  const free = [...keys];
  let done = 0;
  await runPool(options.only === undefined ? options.cases : 1, options.concurrency, async (slot) => {
    const index = indexOf(slot);
    const recipe = caseValue(wsCaseArb, options.seed, index);
    const ref: CaseRef = { target: 'ws', seed: options.seed, index, label: wsCaseLabel(recipe) };
    const key = free.pop()!;
    try {
      await runCase(target, recipe, key, previousHello, ref, oracle, counts);
    } finally {
      free.push(key);
    }
    done++;
    if (done % 500 === 0) oracle.judgeProcess(ref, target.alive(), await target.healthz());
    options.onCase?.(done);
  });
}

async function runCase(target: FuzzTarget, recipe: WsCase, key: KeyPair, previous: Map<KeyPair, Uint8Array>, ref: CaseRef, oracle: Oracle, counts: FrameCounts): Promise<void> {
  const server = { app: { appId: target.apps[0]!.appId }, identity: { publicKey: target.serverKey } };
  const started = await helloTo(server, { lastSeq: 0 }, key);
  const lastHello = previous.get(key);
  previous.set(key, started.hello);
  const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/v1/ws`);
  let closedByUs = false;
  /** Judged already (a hang, a refused upgrade): the close that follows is the fuzzer's own. */
  let gaveUp = false;
  const closeOurselves = (): void => {
    closedByUs = true;
    ws.close(1000);
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      oracle.judgeHang(ref, 'the connection neither closed nor finished in time');
      gaveUp = true;
      ws.terminate();
    }, CASE_TIMEOUT_MS);
    ws.on('open', () => {
      if (recipe.kind === 'hello') {
        const bytes = helloBytes(recipe.hello, started.hello, lastHello);
        ws.send(bytes, { binary: recipe.hello.kind !== 'text' });
        if (recipe.hello.kind === 'twice') ws.send(bytes);
        counts.sent += recipe.hello.kind === 'twice' ? 2 : 1;
        counts.mutated++;
      } else {
        ws.send(started.hello);
      }
    });
    // Message 2, then (after CONFIRM) the server's first frame: the session is open, and only
    // now may the client send other frames (docs/protocol.md section 2.5).
    let received = 0;
    let sealer: FrameSealer | undefined;
    ws.on('message', (data: Buffer) => {
      received++;
      if (received === 1) {
        // A hello case the server answered (a replay, or a mutation it could not tell): no CONFIRM can follow.
        if (recipe.kind === 'hello') return closeOurselves();
        started.finish(data).then(
          (keys) => {
            if (ws.readyState !== WebSocket.OPEN) return;
            sealer = new FrameSealer(keys.sendKey);
            sendFirstFrame(ws, sealer, recipe, counts);
          },
          () => undefined, // a refusal in message 2: the server closes
        );
      } else if (received === 2 && recipe.kind === 'session' && sealer !== undefined) {
        sendFrames(ws, sealer, recipe, counts);
        if (recipe.last === undefined) closeOurselves();
        // A mutation may leave a valid frame (the same bit flipped twice), which the server rightly
        // takes: if it has not closed after a while, the fuzzer does.
        else setTimeout(() => ws.readyState === WebSocket.OPEN && closeOurselves(), VALID_AFTER_ALL_MS).unref();
      }
    });
    ws.on('unexpected-response', (_request, response) => {
      // The upgrade refused over HTTP (a limit): its status is judged, the body is not read.
      oracle.judgeHttp(ref, { kind: 'response', status: response.statusCode ?? 0, body: '', head: true });
      gaveUp = true;
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (!gaveUp) oracle.judgeClose(ref, code, reason.toString(), closedByUs);
      resolve();
    });
  });
}

type SessionCase = Extract<WsCase, { kind: 'session' }>;

/** CONFIRM, or (an unconfirmed case) an ACK where CONFIRM must be. */
function sendFirstFrame(ws: WebSocket, sealer: FrameSealer, recipe: SessionCase, counts: FrameCounts): void {
  ws.send(sealer.seal(recipe.confirm ? encodeConfirm() : encodeAck(0)));
  counts.sent++;
  if (!recipe.confirm) counts.mutated++;
}

/** Once the session is open: the valid ACKs, then the frame made wrong. */
function sendFrames(ws: WebSocket, sealer: FrameSealer, recipe: SessionCase, counts: FrameCounts): void {
  let lastSealed: Uint8Array = new Uint8Array(0);
  for (let n = 0; n < recipe.valid; n++) {
    lastSealed = sealer.seal(encodeAck(0));
    ws.send(lastSealed);
  }
  counts.sent += recipe.valid;
  if (recipe.last === undefined) return;
  const [bytes, binary] = wrongFrame(recipe.last, sealer, lastSealed);
  ws.send(bytes, { binary });
  counts.sent++;
  counts.mutated++;
}

function wrongFrame(recipe: FrameRecipe, sealer: FrameSealer, lastSealed: Uint8Array): [Uint8Array, boolean] {
  switch (recipe.kind) {
    case 'plain-mutated':
      return [sealer.seal(applyMutations(CLIENT_PLAINTEXTS[recipe.base]!, recipe.mutations)), true];
    case 'plain-random':
      return [sealer.seal(recipe.bytes), true];
    case 'sealed-mutated':
      return [applyMutations(sealer.seal(encodeAck(0)), recipe.mutations), true];
    case 'random':
      return [recipe.bytes, true];
    case 'replayed':
      return [lastSealed, true];
    case 'skipped':
      sealer.seal(encodeAck(0));
      return [sealer.seal(encodeAck(0)), true];
    case 'oversize':
      return [new Uint8Array(recipe.size), true];
    case 'text':
      return [sealer.seal(encodeAck(0)), false];
    case 'empty':
      return [new Uint8Array(0), true];
  }
}
