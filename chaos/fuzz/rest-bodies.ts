/**
 * Request bodies for the REST fuzzer: valid publish and batch bodies with one field made
 * wrong (a wrong type, a huge number, deep nesting, odd unicode), then sometimes broken at
 * the byte level (truncated JSON, invalid UTF-8); random JSON, random bytes, and oversize.
 */
import fc from 'fast-check';
import { deepArrays, deepMixed, deepObjects } from '../../test/helpers/json-bodies.js';
import { applyMutations, mutationLabel, mutationsArb } from './mutate.js';

export interface BodyCase {
  readonly label: string;
  readonly body: Uint8Array;
}

const encode = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** Strings a validator must refuse or take as they are. */
const oddString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\ufeff', '../../etc/passwd', '%00', 'c_\u202e', 'a'.repeat(65), 'a'.repeat(129)),
  fc.string({ unit: fc.constantFrom('a', '-', '_', '.', ':', 'é', '/'), minLength: 1, maxLength: 300 }),
);

/** Numbers at and past every edge a field may have. */
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2_592_000, 2_592_001, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, 5e-324, 0.5),
);

/** Any JSON value: nested, unicode, and raw text of a number too large for a double. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  oddString,
  oddNumber,
  fc.constantFrom(null, true, [], {}, { __proto__: 1 }, { constructor: { prototype: 1 } }),
);

/** A publish body for `to`, each optional field present or not, one field sometimes replaced by an odd value. */
function publishArb(to: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> {
  const valid = fc.record(
    {
      to,
      data: fc.jsonValue({ maxDepth: 4 }),
      ttl: fc.integer({ min: 1, max: 2_592_000 }),
      id: fc.string({ unit: fc.constantFrom('a', 'b', '7', '.', '_', ':', '-'), minLength: 1, maxLength: 40 }),
    },
    { requiredKeys: ['to', 'data'] },
  );
  const broken = fc.tuple(valid, fc.constantFrom('to', 'data', 'ttl', 'id', 'extra', '__proto__'), oddValue).map(([message, field, value]) => ({ ...message, [field]: value }));
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: broken });
}

/** Text of a JSON body; `deep` nesting built as text (a nesting no encoder makes quickly). */
function jsonTextArb(to: fc.Arbitrary<string>): fc.Arbitrary<BodyCase> {
  const publish = publishArb(to);
  const deep = fc.tuple(fc.constantFrom(deepArrays, deepObjects, deepMixed), fc.integer({ min: 1, max: 20_000 }), to);
  return fc.oneof(
    { weight: 6, arbitrary: publish.map((m) => ({ label: 'publish', body: encode(JSON.stringify(m)) })) },
    {
      weight: 3,
      arbitrary: fc
        .array(publish, { minLength: 0, maxLength: 12 })
        .map((messages) => ({ label: 'batch', body: encode(JSON.stringify({ messages })) })),
    },
    { weight: 1, arbitrary: fc.array(publish, { maxLength: 3 }).map((messages) => ({ label: 'batch-odd', body: encode(JSON.stringify({ messages, extra: 1 })) })) },
    {
      weight: 2,
      arbitrary: deep.map(([nest, depth, id]) => ({ label: `deep-${depth > 64 ? 'over' : 'under'}`, body: encode(`{"to":${JSON.stringify(id)},"data":${nest(depth)}}`) })),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 8 }).map((value) => ({ label: 'json', body: encode(JSON.stringify(value) ?? 'null') })) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).chain((n) => to.map((id) => ({ label: 'bignum', body: encode(`{"to":${JSON.stringify(id)},"data":1,"ttl":${n}}`) }))) },
  );
}

/** Every body the REST fuzzer sends: JSON made wrong, then maybe broken at the byte level. */
export function bodyArb(to: fc.Arbitrary<string>, recorded: readonly Uint8Array[]): fc.Arbitrary<BodyCase> {
  const json = jsonTextArb(to);
  const fromRecorded = recorded.length === 0 ? json : fc.constantFrom(...recorded).map((body) => ({ label: 'recorded', body }));
  const mutated = fc.tuple(fc.oneof(json, fromRecorded), mutationsArb).map(([base, mutations]) => ({
    label: `${base.label}~${mutationLabel(mutations)}`,
    body: applyMutations(base.body, mutations),
  }));
  return fc.oneof(
    { weight: 10, arbitrary: json },
    { weight: 4, arbitrary: fromRecorded },
    { weight: 8, arbitrary: mutated },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((body) => ({ label: 'bytes', body })) },
    { weight: 1, arbitrary: fc.constant({ label: 'empty', body: new Uint8Array(0) }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 60_000, max: 300_000 }) }, fc.integer({ min: 4 * 1024 * 1024 - 64, max: 5 * 1024 * 1024 })), to).map(([size, id]) => ({
        label: `oversize-${size > 4 * 1024 * 1024 ? 'body' : 'data'}`,
        body: encode(`{"to":${JSON.stringify(id)},"data":"${'x'.repeat(size)}"}`),
      })),
    },
  );
}
