/**
 * What one node answers, asked directly (not through the balancer): a signed publish, its
 * `/readyz`, a new client's hello. Each answer is a short string for the fault record: `202`,
 * an error code, an HTTP status, `ok`, or `no answer` when nothing came back in time.
 */
import { connect } from '../../src/client/node.js';
import { RequestSigner } from '../../src/app/signing.js';
import { isSealPushError } from '../../src/domain/errors.js';

export const NO_ANSWER = 'no answer';

/**
 * How long a probe waits for its answer: longer than a node takes to answer at worst (a
 * statement's 10 s query timeout, then 503), so that `no answer` means a node that hangs, not
 * one slowed by two busy cores.
 */
const PROBE_TIMEOUT_MS = 15_000;

export interface App {
  readonly appId: string;
  readonly secret: string;
}

/** A signed `POST /v1/messages`, kept so that the very same request can be sent again (a replay). */
export interface SignedPublish {
  readonly body: string;
  readonly authorization: string;
}

export async function signPublish(app: App, message: { to: string; data: unknown; id?: string }): Promise<SignedPublish> {
  const body = JSON.stringify(message);
  const authorization = await new RequestSigner(app.appId, app.secret).authorization({ method: 'POST', pathWithQuery: '/v1/messages', body: new TextEncoder().encode(body) });
  return { body, authorization };
}

/** Sends it to the node at `url`: `202`, or the error code (`ERR_UNAVAILABLE:retry-after=1` when it says when to retry). */
export async function send(url: string, request: SignedPublish, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  try {
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: request.authorization }, body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (res.status === 202) return '202';
    const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? `HTTP ${res.status}`;
    const retryAfter = res.headers.get('retry-after');
    return retryAfter === null ? code : `${code}:retry-after=${retryAfter}`;
  } catch {
    return NO_ANSWER;
  }
}

export async function readyz(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  try {
    return String((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) })).status);
  } catch {
    return NO_ANSWER;
  }
}

/** A new client's handshake (no resume, no reconnection): `ok`, or the error code it got. */
export async function hello(url: string, appId: string, serverKey: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  try {
    const client = await connect({ url, appId, serverKey, reconnect: false, handshakeTimeoutMs: timeoutMs });
    await client.close();
    return 'ok';
  } catch (err) {
    return isSealPushError(err) ? err.code : NO_ANSWER;
  }
}

/** Answers counted by kind and answer, e.g. `{ publish: { '202': 3, 'ERR_UNAVAILABLE:retry-after=1': 9 } }`. */
export type AnswerCounts = Record<string, Record<string, number>>;

export function count(answers: AnswerCounts, kind: string, answer: string): void {
  const byAnswer = (answers[kind] ??= {});
  byAnswer[answer] = (byAnswer[answer] ?? 0) + 1;
}
