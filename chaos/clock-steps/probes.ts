/**
 * What clock-steps asks a node after each step of its clock, recording the answers for
 * judge.ts: publishes signed (HMAC) and bearer tokens minted on the node's clock and on the
 * real one, every request of the earlier steps sent again byte for byte, and a burst of client
 * registrations against the registration limit.
 */
import { connect } from '../../src/client/node.js';
import { RequestSigner } from '../../src/app/signing.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { base64urlDecode } from '../../src/crypto/encoding.js';
import { bindingClaims, mintToken, sendBearer, type BearerRequestSpec } from '../../test/helpers/jwt.js';
import type { SteppedClock } from './clock.js';
import type { Answer, AuthProbe, RegistrationProbe, Replay } from './judge.js';

/** A request as it went on the wire: sent again unchanged, it is a replay. */
interface Captured {
  readonly step: number;
  readonly body: string;
  readonly authorization: string;
  /** The time it claims: `ts` of the signature, `iat` of a token (Unix s). */
  readonly claimedAt: number;
}

export interface ProbeTarget {
  readonly url: string;
  readonly appId: string;
  readonly secret: string;
  /** The offline client the probe publishes go to. */
  readonly to: string;
  /** An HS256 key of the app (`apps jwt-key --alg HS256`): its issuer, kid and secret as printed. */
  readonly jwt: { readonly issuer: string; readonly kid: string; readonly secret: string };
  /** Lifetime of the probe tokens, s. */
  readonly jwtLifetimeSeconds: number;
}

const PATH = '/v1/messages';

export class AuthProbes {
  readonly #signer: RequestSigner;
  readonly #hmacSent: Captured[] = [];
  readonly #jwtSent: Captured[] = [];
  #sequence = 0;

  constructor(private readonly target: ProbeTarget, private readonly clock: SteppedClock) {
    this.#signer = new RequestSigner(target.appId, target.secret);
  }

  /** Signed requests: one on the node's clock, one on the real clock, and every earlier one again. */
  async hmac(step: number): Promise<AuthProbe> {
    const replays = await this.#replay(this.#hmacSent);
    const fresh = await this.#signed(step, this.clock.now());
    const realClock = await this.#signed(step, Date.now());
    return { fresh, realClock, replays };
  }

  /** The same with bearer tokens (a fresh jti each, iat when minted, exp after jwtLifetimeSeconds). */
  async jwt(step: number): Promise<AuthProbe> {
    const replays = await this.#replay(this.#jwtSent);
    const fresh = await this.#bearer(step, this.clock.now());
    const realClock = await this.#bearer(step, Date.now());
    return { fresh, realClock, replays };
  }

  async #signed(step: number, nowMs: number): Promise<Answer> {
    const body = this.#body(step);
    const authorization = await this.#signer.authorization({ method: 'POST', pathWithQuery: PATH, body: new TextEncoder().encode(body) }, nowMs);
    return this.#keep(this.#hmacSent, { step, body, authorization, claimedAt: Math.floor(nowMs / 1000) });
  }

  async #bearer(step: number, nowMs: number): Promise<Answer> {
    const body = this.#body(step);
    const { issuer, kid, secret } = this.target.jwt;
    const iat = Math.floor(nowMs / 1000);
    const request: BearerRequestSpec = { method: 'POST', path: PATH, body };
    const token = await mintToken(base64urlDecode(secret), 'HS256', kid, { ...bindingClaims(request), iss: issuer, iat, exp: iat + this.target.jwtLifetimeSeconds });
    return this.#keep(this.#jwtSent, { step, body, authorization: `Bearer ${token}`, claimedAt: iat });
  }

  /** Sends `request`, and keeps it for later replays when it was accepted (a refused one burns nothing). */
  async #keep(sent: Captured[], request: Captured): Promise<Answer> {
    const answer = await this.#send(request);
    if (answer.status === 202) sent.push(request);
    return answer;
  }

  async #replay(sent: readonly Captured[]): Promise<Replay[]> {
    const replays: Replay[] = [];
    for (const request of sent) {
      const skewSeconds = Math.floor(this.clock.now() / 1000) - request.claimedAt;
      replays.push({ ...(await this.#send(request)), from: request.step, skewSeconds });
    }
    return replays;
  }

  async #send(request: Captured): Promise<Answer> {
    const response = await fetch(`${this.target.url}${PATH}`, {
      method: 'POST',
      headers: { authorization: request.authorization, 'content-type': 'application/json' },
      body: request.body,
    });
    const json = (await response.json()) as { error?: { code: string } };
    return { status: response.status, ...(json.error ? { code: json.error.code } : {}) };
  }

  #body(step: number): string {
    return JSON.stringify({ to: this.target.to, data: { probe: this.#sequence++, step }, ttl: 600 });
  }
}

/** Registers `tries` new clients of the app as fast as it can (each a full handshake), counting what the limit let through. */
export async function registrationBurst(target: { url: string; appId: string; serverKey: string }, tries: number): Promise<RegistrationProbe> {
  const started = performance.now();
  let accepted = 0;
  let refused = 0;
  const other: string[] = [];
  for (let i = 0; i < tries; i++) {
    try {
      const client = await connect({ url: target.url, appId: target.appId, serverKey: target.serverKey, reconnect: false });
      accepted++;
      await client.close();
    } catch (err) {
      if (isSealPushError(err) && err.code === 'ERR_RATE_LIMITED') refused++;
      else other.push(isSealPushError(err) ? err.code : String(err));
    }
  }
  return { tried: tries, accepted, refused, other, seconds: (performance.now() - started) / 1000 };
}
