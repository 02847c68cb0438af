/**
 * The fuzzer's oracle: what every answer of the server must look like, whatever was sent.
 * - The process never dies and `/healthz` answers 200.
 * - No HTTP answer is a 5xx; every 4xx names a catalogue code whose status it carries.
 * - Every WebSocket close the server makes is a catalogue close code (never 1011, never a
 *   drop without a close frame), its reason starting with that code's name.
 * - Every case ends in bounded time (no hang), and memory stays bounded.
 * It never sees a payload or a secret: a finding names the case (seed, index) to replay it.
 */
import { ERROR_CATALOGUE, codeForClose, type ErrorCode } from '../../src/domain/errors.js';

export type FindingKind = 'crash' | '5xx' | 'non-catalogue' | 'no-answer' | 'hang' | 'bad-close' | 'unhealthy' | 'memory';

/** Which generated case it was: `--seed` and the case's index replay it (`--only`). */
export interface CaseRef {
  readonly target: 'rest' | 'ws';
  readonly seed: number;
  readonly index: number;
  /** A short, payload-free description of what was sent (route, mutation kind). */
  readonly label: string;
}

export interface Finding extends CaseRef {
  readonly kind: FindingKind;
  readonly detail: string;
}

export type HttpAnswer =
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly head: boolean }
  /** Closed with no answer; `whileSending` when before the whole request was written. */
  | { readonly kind: 'closed'; readonly whileSending?: boolean }
  | { readonly kind: 'timeout' };

/** Close codes the standard gives the same meaning as a catalogue entry (errors.ts). */
const STANDARD_CLOSES: ReadonlyMap<number, ErrorCode> = new Map([
  [1001, 'ERR_UNAVAILABLE'],
  [1009, 'ERR_TOO_LARGE'],
]);

/** The most findings kept in full; past it they are only counted. */
const MAX_KEPT_FINDINGS = 100;

export class Oracle {
  /** Refusals by catalogue code (REST: the body's code; WS: the close's code). */
  readonly refusals = new Map<string, number>();
  readonly findings: Finding[] = [];
  findingCount = 0;
  accepted = 0;
  /** Requests the peer gave up on before answering, which is right for a body shorter than its Content-Length. */
  hungUp = 0;
  status5xx = 0;
  crashes = 0;

  /** An HTTP answer; `mayHangUp` when the request itself was cut short (no answer is owed). */
  judgeHttp(ref: CaseRef, answer: HttpAnswer, mayHangUp = false): void {
    if (answer.kind === 'timeout') return this.find(ref, 'hang', 'no answer in time');
    if (answer.kind === 'closed') {
      if (mayHangUp) this.hungUp++;
      else this.find(ref, 'no-answer', 'the connection closed without an answer');
      return;
    }
    const { status } = answer;
    if (status >= 500) {
      this.status5xx++;
      return this.find(ref, '5xx', `HTTP ${status} ${codeOf(answer.body) ?? ''}`.trim());
    }
    if (status < 400) return void this.accepted++;
    if (answer.head) return this.count(`HEAD ${status}`);
    const code = codeOf(answer.body);
    if (code === undefined || !(code in ERROR_CATALOGUE)) return this.find(ref, 'non-catalogue', `HTTP ${status} without a catalogue code (${code ?? 'no code'})`);
    if (ERROR_CATALOGUE[code as ErrorCode].http !== status) return this.find(ref, 'non-catalogue', `HTTP ${status} with ${code}, whose status is ${ERROR_CATALOGUE[code as ErrorCode].http}`);
    this.count(code);
  }

  /** A close the server made (`byClient` false) or the fuzzer made after its frames (`byClient` true). */
  judgeClose(ref: CaseRef, code: number, reason: string, byClient: boolean): void {
    if (byClient && (code === 1000 || code === 1005)) return void this.accepted++;
    const named = STANDARD_CLOSES.get(code) ?? codeForClose(code);
    if (named === undefined) return this.find(ref, 'bad-close', `close ${code} is no catalogue close code`);
    if (code >= 4000 && reason.split(' ')[0] !== named) return this.find(ref, 'bad-close', `close ${code} (${named}) with reason ${JSON.stringify(reason.slice(0, 40))}`);
    this.count(named);
  }

  /** A WebSocket case that neither closed nor finished in time. */
  judgeHang(ref: CaseRef, detail: string): void {
    this.find(ref, 'hang', detail);
  }

  /** After a batch of cases: the process and its health endpoint. */
  judgeProcess(ref: CaseRef, alive: boolean, healthzStatus: number | undefined): void {
    if (!alive) {
      this.crashes++;
      return this.find(ref, 'crash', 'the server process exited');
    }
    if (healthzStatus !== 200) this.find(ref, 'unhealthy', `/healthz answered ${healthzStatus ?? 'nothing'}`);
  }

  /** RSS before and after the run; a growth past `boundBytes` fails. */
  judgeMemory(ref: CaseRef, beforeBytes: number, afterBytes: number, boundBytes: number): void {
    const grown = afterBytes - beforeBytes;
    if (grown > boundBytes) this.find(ref, 'memory', `RSS grew ${mib(grown)} MiB (bound ${mib(boundBytes)} MiB)`);
  }

  /** A check that is not about one answer: the SDK round trip after the run, for one. */
  judgeHealthy(ref: CaseRef, healthy: boolean, detail: string): void {
    if (!healthy) this.find(ref, 'unhealthy', detail);
  }

  get passed(): boolean {
    return this.findingCount === 0;
  }

  private count(code: string): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }

  private find(ref: CaseRef, kind: FindingKind, detail: string): void {
    this.findingCount++;
    if (this.findings.length < MAX_KEPT_FINDINGS) this.findings.push({ ...ref, kind, detail });
  }
}

/** The `error.code` of a JSON error body, if it has one. */
function codeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } } | null;
    const code = parsed?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
