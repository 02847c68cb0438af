/**
 * The REST half of the fuzzer: cases from rest-cases.ts, each on its own TCP connection to the
 * real server, a pool of them in flight; every answer goes to the oracle. Bodies recorded from
 * real SDK traffic (a publish, a batch, the reads) seed the mutations.
 */
import { SealPushApp } from '../../src/app/index.js';
import type { CaseRef, Oracle } from './oracle.js';
import { caseIndices, caseValue, runPool } from './schedule.js';
import { sendRaw } from './raw-http.js';
import { requestFor, restCaseArb, type RestCase, type RestContext } from './rest-cases.js';
import type { FuzzTarget } from './target.js';

export interface RunOptions {
  readonly seed: number;
  readonly cases: number;
  readonly concurrency: number;
  /** Replay only this case index. */
  readonly only?: number;
  /** Called after each case with the number done. */
  readonly onCase?: (done: number) => void;
}

/** Time one case may take before it counts as a hang (a 5 MiB body on a busy machine included). */
const CASE_TIMEOUT_MS = 20_000;
/** A body larger than the sockets' buffers: still being sent when the server may answer. */
const LARGE_BODY_BYTES = 1024 * 1024;
/** Cases between two checks that the process lives and answers /healthz. */
const HEALTH_EVERY = 500;

/** Real requests made through the app SDK, their bodies and paths kept to mutate. */
export async function recordSdkTraffic(target: FuzzTarget): Promise<RestContext> {
  const bodies: Uint8Array[] = [];
  const paths: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    paths.push(url.pathname + url.search);
    if (typeof init?.body === 'string') bodies.push(Buffer.from(init.body));
    else if (init?.body instanceof Uint8Array) bodies.push(Buffer.from(init.body));
    return fetch(input, init);
  };
  const app = target.apps[0]!;
  const sdk = new SealPushApp({ url: target.url, appId: app.appId, secret: app.secret, fetch: recording });
  const to = target.clientIds[0]!;
  const one = await sdk.publish({ to, data: { order: 7, items: ['a', 'b'], total: 12.5 }, ttl: 3600, id: 'order-7' });
  await sdk.publishBatch([{ to, data: 'text' }, { to, data: [1, 2, 3], id: 'job-2' }, { to, data: null }]);
  await sdk.status(one.id);
  await sdk.receipt(one.id).catch(() => undefined);
  await sdk.client(to);
  return { apps: target.apps, clientIds: target.clientIds, recordedBodies: bodies, recordedPaths: paths };
}

export async function runRest(target: FuzzTarget, ctx: RestContext, oracle: Oracle, options: RunOptions): Promise<void> {
  const arb = restCaseArb(ctx);
  const url = new URL(target.url);
  const indexOf = caseIndices(options.cases, options.only);
  let done = 0;
  await runPool(options.only === undefined ? options.cases : 1, options.concurrency, async (slot) => {
    const index = indexOf(slot);
    const recipe = caseValue(arb, options.seed, index);
    const ref: CaseRef = { target: 'rest', seed: options.seed, index, label: recipe.label };
    await runCase(target, url, ctx, recipe, ref, oracle);
    done++;
    if (done % HEALTH_EVERY === 0) oracle.judgeProcess(ref, target.alive(), await target.healthz());
    options.onCase?.(done);
  });
}

async function runCase(target: FuzzTarget, url: URL, ctx: RestContext, recipe: RestCase, ref: CaseRef, oracle: Oracle): Promise<void> {
  const request = requestFor(recipe, ctx);
  const sends = recipe.auth.kind === 'replayed' ? 2 : 1;
  for (let n = 0; n < sends; n++) {
    // A body cut short of its Content-Length owes no answer: the server may only hang up.
    const cutShort = recipe.length === 'longer';
    const answer = await sendRaw(url, request, CASE_TIMEOUT_MS, cutShort);
    // A large body the server refuses before reading it (413 past the limit, a 401 or 404 first)
    // is answered and the connection closed at once: a peer still sending may get the reset
    // before the answer (TCP, not sealpush). Only for bodies larger than socket buffers.
    const overLimit = answer.kind === 'closed' && answer.whileSending === true && request.body.length > LARGE_BODY_BYTES;
    oracle.judgeHttp(ref, answer, cutShort || overLimit);
    if (answer.kind !== 'response' && !target.alive()) return oracle.judgeProcess(ref, false, undefined);
  }
}
