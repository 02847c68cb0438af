/**
 * REST cases: a method, a path, headers, a body and a way to authenticate, drawn by
 * fast-check. A case is a recipe; `requestFor` turns it into bytes at send time, since a
 * valid signature covers the current time.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { canonicalRequest, decodeAppSecret, formatAuthorization, SIGNATURE_WINDOW_SECONDS } from '../../src/crypto/request-signature.js';
import { applyMutations, mutationsArb, type Mutation } from './mutate.js';
import { bodyArb } from './rest-bodies.js';
import type { RawRequest } from './raw-http.js';
import type { AppCredentials } from './target.js';

/** How a case authenticates: most cases sign validly, so that they reach validation. */
export type AuthRecipe =
  | { readonly kind: 'signed' }
  | { readonly kind: 'signed-other-body' }
  | { readonly kind: 'mutated-signature'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'stale'; readonly skewSeconds: number }
  | { readonly kind: 'replayed' }
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly value: string };

export type LengthRecipe = 'right' | 'absent' | 'shorter' | 'longer' | 'garbage' | 'twice' | 'chunked';

export interface RestCase {
  readonly label: string;
  readonly app: number;
  readonly method: string;
  readonly target: Uint8Array;
  readonly contentType: string | undefined;
  readonly length: LengthRecipe;
  readonly body: Uint8Array;
  readonly auth: AuthRecipe;
}

/** What the cases are drawn against: the target's clients, and requests recorded from the SDK. */
export interface RestContext {
  readonly apps: readonly AppCredentials[];
  readonly clientIds: readonly string[];
  readonly recordedBodies: readonly Uint8Array[];
  readonly recordedPaths: readonly string[];
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'get', 'FOO', 'POST ', 'M-SEARCH'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '', '*/*', 'application/jsonx'];
/** The routes of docs/api.md with their methods (publishing most), and two that do not exist. */
const ROUTES: readonly (readonly [string, string, number])[] = [
  ['POST', '/v1/messages', 8],
  ['POST', '/v1/messages/batch', 5],
  ['GET', '/v1/messages/:id', 2],
  ['GET', '/v1/messages/:id/receipt', 1],
  ['GET', '/v1/clients/:id', 2],
  ['DELETE', '/v1/clients/:id', 1],
  ['GET', '/healthz', 1],
  ['GET', '/readyz', 1],
  ['GET', '/', 1],
  ['GET', '/metrics', 1],
  ['GET', '/v1/openapi.json', 1],
  ['GET', '/docs', 1],
  ['GET', '/v1/admin/overview', 1],
  ['GET', '/v1/admin/apps', 1],
  ['POST', '/v1/nothing', 1],
  ['GET', '/v2/messages', 1],
];

interface PathCase {
  readonly label: string;
  readonly path: Uint8Array;
  /** The method the route takes, when the path is one of them. */
  readonly method?: string;
}

function pathArb(ctx: RestContext): fc.Arbitrary<PathCase> {
  const id = fc.oneof(
    fc.constantFrom(...ctx.clientIds, 'c_nobody', '..', '%2e%2e', '%00', 'a'.repeat(300)),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => encodeURIComponent(s)),
  );
  const query = fc.oneof(fc.constant(''), fc.constantFrom('?a=1', '?', '?a=%zz', '?x=' + 'y'.repeat(2000), '#frag', '?__proto__[a]=1'));
  const route = fc.oneof(...ROUTES.map(([method, path, weight]) => ({ weight, arbitrary: fc.constant([method, path] as const) })));
  const templated = fc.tuple(route, id, query).map(([[method, path], value, q]): PathCase => ({ label: path, method, path: Buffer.from(path.replace(':id', value) + q, 'latin1') }));
  const recorded = fc.constantFrom(...ctx.recordedPaths).map((path): PathCase => ({ label: 'recorded-path', path: Buffer.from(path) }));
  const odd = fc.oneof(
    fc.constantFrom('/v1/../v1/messages', '/v1//messages', '/v1/messages/', '/v1/%6Dessages', '/V1/MESSAGES', '//', '*', 'http://x/v1/messages', '/v1/messages;x', '/./v1/messages', '/v1/messages%2Fbatch'),
    fc.integer({ min: 1, max: 20_000 }).map((n) => `/v1/messages/${'a'.repeat(n)}`),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s) => `/v1/${s.replace(/[\r\n ]/g, '')}`),
  );
  const mutated = fc.tuple(fc.oneof(templated, recorded), mutationsArb).map(([p, mutations]): PathCase => ({ ...p, label: `${p.label}~`, path: applyMutations(p.path, mutations) }));
  return fc.oneof(
    { weight: 12, arbitrary: templated },
    { weight: 3, arbitrary: recorded },
    { weight: 2, arbitrary: odd.map((path) => ({ label: 'odd-path', path: Buffer.from(path, 'utf8') as Uint8Array })) },
    { weight: 2, arbitrary: mutated },
  );
}

/** A compact JWT-looking token: right shape, wrong in some way, never one the server would take. */
const bearerArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 64 })).map(([h, p, s]) =>
    [JSON.stringify(h) ?? '', JSON.stringify(p) ?? '', ''].map((part) => Buffer.from(part).toString('base64url')).join('.') + Buffer.from(s).toString('base64url'),
  ),
  fc.constantFrom('a.b.c', '..', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.', 'sp_admin_x_y', 'x'.repeat(9000)),
);

const authArb: fc.Arbitrary<AuthRecipe> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: 'signed' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'signed-other-body' as const }) },
  { weight: 2, arbitrary: mutationsArb.map((mutations) => ({ kind: 'mutated-signature' as const, mutations })) },
  { weight: 1, arbitrary: fc.integer({ min: SIGNATURE_WINDOW_SECONDS + 5, max: 10 ** 9 }).chain((s) => fc.constantFrom(s, -s)).map((skewSeconds) => ({ kind: 'stale' as const, skewSeconds })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replayed' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: bearerArb.map((token) => ({ kind: 'header' as const, value: `Bearer ${token}` })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((value) => ({ kind: 'header' as const, value: `SEALPUSH-HMAC-SHA256 ${value}` })) },
);

const lengthArb: fc.Arbitrary<LengthRecipe> = fc.oneof(
  { weight: 20, arbitrary: fc.constant('right' as const) },
  { weight: 1, arbitrary: fc.constantFrom('absent' as const, 'shorter' as const, 'longer' as const, 'garbage' as const, 'twice' as const, 'chunked' as const) },
);

export function restCaseArb(ctx: RestContext): fc.Arbitrary<RestCase> {
  // Mostly the app's own client; another app's (a 404, ids do not leak) or a made-up id sometimes.
  const to = (app: number): fc.Arbitrary<string> =>
    fc.oneof({ weight: 12, arbitrary: fc.constant(ctx.clientIds[app]!) }, { weight: 1, arbitrary: fc.constantFrom(...ctx.clientIds) }, { weight: 1, arbitrary: fc.string({ maxLength: 70 }) });
  const method = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) });
  const contentType = fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
  return fc
    .nat(ctx.apps.length - 1)
    .chain((app) => fc.record({ app: fc.constant(app), method, path: pathArb(ctx), contentType, length: lengthArb, body: bodyArb(to(app), ctx.recordedBodies), auth: authArb }))
    .map(({ path, body, method: drawn, ...rest }) => {
      // The route's own method mostly (a GET or DELETE of it without a body); another (or a made-up one, with a body) sometimes.
      const method = drawn ?? path.method ?? 'POST';
      return { ...rest, method, label: `${method.trim()} ${path.label} ${body.label} ${rest.auth.kind} ${rest.length}`, target: path.path, body: drawn === undefined && method !== 'POST' ? body.body.subarray(0, 0) : body.body };
    });
}

/** The bytes of `recipe`'s request, signed now with its app's secret (as src/app/signing.ts signs). */
export function requestFor(recipe: RestCase, ctx: RestContext, nowMs = Date.now()): RawRequest {
  const app = ctx.apps[recipe.app]!;
  const pathText = Buffer.from(recipe.target).toString('latin1');
  const sign = (body: Uint8Array, ts: number): string => {
    const nonce = randomBytes(16).toString('base64url');
    const bodySha256Hex = createHash('sha256').update(body).digest('hex');
    const text = canonicalRequest({ method: recipe.method, pathWithQuery: pathText, ts, nonce, bodySha256Hex });
    const sig = createHmac('sha256', decodeAppSecret(app.secret)).update(text).digest('base64url');
    return formatAuthorization({ appId: app.appId, ts, nonce, sig });
  };
  const now = Math.floor(nowMs / 1000);
  const auth = recipe.auth;
  let authorization: string | undefined;
  if (auth.kind === 'signed' || auth.kind === 'replayed') authorization = sign(recipe.body, now);
  else if (auth.kind === 'signed-other-body') authorization = sign(Buffer.concat([recipe.body, Buffer.from(' ')]), now);
  else if (auth.kind === 'stale') authorization = sign(recipe.body, now + auth.skewSeconds);
  else if (auth.kind === 'mutated-signature') authorization = Buffer.from(applyMutations(Buffer.from(sign(recipe.body, now)), auth.mutations)).toString('latin1').replace(/[\r\n]/g, '');
  else if (auth.kind === 'header') authorization = auth.value.replace(/[\r\n]/g, '');
  const headers: [string, string][] = [];
  if (authorization !== undefined) headers.push(['Authorization', authorization]);
  if (recipe.contentType !== undefined) headers.push(['Content-Type', recipe.contentType]);
  let body = recipe.body;
  const size = body.length;
  switch (recipe.length) {
    case 'right': headers.push(['Content-Length', String(size)]); break;
    case 'shorter': headers.push(['Content-Length', String(Math.max(0, size - 1 - (size >> 1)))]); break;
    case 'longer': headers.push(['Content-Length', String(size + 1 + (size >> 1))]); break;
    case 'garbage': headers.push(['Content-Length', `${size}x`]); break;
    case 'twice': headers.push(['Content-Length', String(size)], ['Content-Length', String(size + 1)]); break;
    case 'chunked':
      headers.push(['Transfer-Encoding', 'chunked']);
      body = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    case 'absent': break;
  }
  return { method: recipe.method, target: recipe.target, headers, body };
}
