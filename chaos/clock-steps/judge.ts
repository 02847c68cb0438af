/**
 * What clock-steps recorded after each step of the node's clock, and the check of it against
 * what sealpush documents (docs/api.md, docs/reliability.md "clock-steps"). Pure: the unit test
 * feeds it records that break each promise. The margins (2 s on the signature window, 5 s of
 * token tolerance) keep a probe sent at a window's very edge from counting either way.
 */
import { SIGNATURE_WINDOW_SECONDS } from '../../src/crypto/request-signature.js';

/** An HTTP answer: its status and, for an error, its catalogue code. */
export interface Answer {
  readonly status: number;
  readonly code?: string;
}

/** A request accepted at step `from`, sent again unchanged. */
export interface Replay extends Answer {
  readonly from: number;
  /** The node's time when it was sent again minus the time the request claims (`ts`, `iat`), s. */
  readonly skewSeconds: number;
}

export interface AuthProbe {
  /** Signed, or minted, on the node's clock. */
  readonly fresh: Answer;
  /** Signed, or minted, on the real clock (another host's, which did not step). */
  readonly realClock: Answer;
  readonly replays: readonly Replay[];
}

export interface RegistrationProbe {
  readonly tried: number;
  readonly accepted: number;
  readonly refused: number;
  /** Failures other than ERR_RATE_LIMITED. */
  readonly other: readonly string[];
  readonly seconds: number;
}

export interface StepRecord {
  /** The node's clock minus the real one during this step, s. */
  readonly offsetSeconds: number;
  readonly hmac: AuthProbe;
  readonly jwt: AuthProbe;
  readonly registrations: RegistrationProbe;
  /** The node's time when the statuses below were read (after at least one expiry sweep), ms. */
  readonly readAtMs: number;
  /** Statuses of the messages with a short ttl, and of those with a long one, at the end of the step. */
  readonly short: readonly string[];
  readonly long: readonly string[];
}

export interface ClockStepsHistory {
  readonly steps: readonly StepRecord[];
  /** When the short-ttl messages expire, on the node's clock, ms (the earliest of them). */
  readonly shortExpireAtMs: number;
  readonly jwtLifetimeSeconds: number;
  readonly registrationLimit: { readonly ratePerSecond: number; readonly burst: number };
  /** What the two offline clients received once connected again at the end (short: before a marker sent after). */
  readonly shortReceived: readonly string[];
  readonly longSent: readonly string[];
  readonly longReceived: readonly string[];
}

export interface ClockStepsVerdict {
  /** Replays answered with a 2xx: each one a defect. */
  readonly replaysAccepted: number;
  readonly replays: number;
  readonly problems: readonly string[];
  readonly ok: boolean;
}

const EDGE = 2;
const TOKEN_TOLERANCE = 5;

/** Which answers the documented rules allow: 'accept', a refusal code, or either near an edge. */
function signatureExpected(skew: number): readonly string[] {
  const off = Math.abs(skew);
  if (off < SIGNATURE_WINDOW_SECONDS - EDGE) return ['accept'];
  if (off > SIGNATURE_WINDOW_SECONDS + EDGE) return ['ERR_AUTH_EXPIRED'];
  return ['accept', 'ERR_AUTH_EXPIRED'];
}

function tokenExpected(skew: number, lifetime: number): readonly string[] {
  const inside = skew > -TOKEN_TOLERANCE + EDGE && skew < lifetime + TOKEN_TOLERANCE - EDGE;
  const outside = skew < -TOKEN_TOLERANCE - EDGE || skew > lifetime + TOKEN_TOLERANCE + EDGE;
  return inside ? ['accept'] : outside ? ['ERR_AUTH_EXPIRED'] : ['accept', 'ERR_AUTH_EXPIRED'];
}

const outcome = (answer: Answer): string => (answer.status === 202 ? 'accept' : answer.code ?? String(answer.status));

export function judgeClockSteps(history: ClockStepsHistory): ClockStepsVerdict {
  const problems: string[] = [];
  let replays = 0;
  let replaysAccepted = 0;
  let expiredBy: number | undefined;
  const lifetime = history.jwtLifetimeSeconds;
  history.steps.forEach((step, i) => {
    const at = `step ${i} (${step.offsetSeconds} s)`;
    const expect = (what: string, answer: Answer, allowed: readonly string[]): void => {
      if (!allowed.includes(outcome(answer))) problems.push(`${at}: ${what} answered ${outcome(answer)}, expected ${allowed.join(' or ')}`);
    };
    expect('a request signed on the node clock', step.hmac.fresh, ['accept']);
    expect('a request signed on the real clock', step.hmac.realClock, signatureExpected(-step.offsetSeconds));
    expect('a token minted on the node clock', step.jwt.fresh, ['accept']);
    expect('a token minted on the real clock', step.jwt.realClock, tokenExpected(step.offsetSeconds, lifetime));
    for (const [kind, probe, refusal] of [['signed request', step.hmac, (s: number) => signatureExpected(s)], ['token', step.jwt, (s: number) => tokenExpected(s, lifetime)]] as const) {
      for (const replay of probe.replays) {
        replays++;
        if (replay.status >= 200 && replay.status < 300) replaysAccepted++;
        // Within its window, a replay is refused as one; outside it, as expired.
        const allowed = refusal(replay.skewSeconds).map((o) => (o === 'accept' ? 'ERR_AUTH_REPLAY' : o));
        expect(`the ${kind} of step ${replay.from} sent again (${replay.skewSeconds} s old)`, replay, allowed);
      }
    }
    const { registrations: r } = step;
    const most = history.registrationLimit.burst + Math.ceil(r.seconds * history.registrationLimit.ratePerSecond) + 1;
    if (r.accepted < 1) problems.push(`${at}: no client registered of ${r.tried} (the limit locked the app out)`);
    if (r.accepted > most) problems.push(`${at}: ${r.accepted} clients registered in ${r.seconds.toFixed(1)} s, more than the limit allows (${most})`);
    if (r.other.length > 0) problems.push(`${at}: registrations failed otherwise: ${r.other.slice(0, 3).join(', ')}`);
    if (expiredBy === undefined && step.readAtMs >= history.shortExpireAtMs) expiredBy = i;
    const shortWant = expiredBy === undefined ? 'queued' : 'expired';
    const wrongShort = step.short.filter((s) => s !== shortWant);
    if (wrongShort.length > 0) problems.push(`${at}: ${wrongShort.length} short-ttl messages read ${wrongShort[0]}, expected ${shortWant}${expiredBy === undefined ? '' : ` (past their ttl since step ${expiredBy})`}`);
    const wrongLong = step.long.filter((s) => s !== 'queued');
    if (wrongLong.length > 0) problems.push(`${at}: ${wrongLong.length} long-ttl messages read ${wrongLong[0]}, expected queued`);
  });
  if (expiredBy === undefined) problems.push('no step took the node past the short ttl: the expiry was not tested');
  if (history.shortReceived.length > 0) problems.push(`${history.shortReceived.length} expired messages were delivered after all`);
  const counts = new Map<string, number>();
  for (const id of history.longReceived) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = history.longSent.filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, n]) => n > 1);
  if (missing.length > 0) problems.push(`${missing.length} long-ttl messages never delivered`);
  if (twice.length > 0) problems.push(`${twice.length} long-ttl messages delivered more than once`);
  return { replays, replaysAccepted, problems, ok: problems.length === 0 };
}
