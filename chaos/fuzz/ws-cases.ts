/**
 * WebSocket cases: a hello made wrong (flipped, cut, extended, another version, replayed,
 * sent as text or twice), or a real completed handshake followed by a run of valid sealed
 * ACKs (recorded traffic: what the SDK sends) and then one frame made wrong: a sealed frame
 * with flipped bits, wrong lengths, random bytes, a replayed or skipped counter, a sealed
 * plaintext that breaks docs/protocol.md section 3.5, text instead of binary, or oversize.
 */
import fc from 'fast-check';
import { FRAME_TYPE } from '../../src/crypto/frames.js';
import { applyMutations, mutationLabel, mutationsArb, type Mutation } from './mutate.js';

export type HelloRecipe =
  | { readonly kind: 'mutated'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'appIdLength'; readonly length: number }
  | { readonly kind: 'extended'; readonly size: number }
  | { readonly kind: 'replayed' }
  | { readonly kind: 'text' }
  | { readonly kind: 'twice' }
  | { readonly kind: 'random'; readonly bytes: Uint8Array };

export type FrameRecipe =
  | { readonly kind: 'plain-mutated'; readonly base: number; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'plain-random'; readonly bytes: Uint8Array }
  | { readonly kind: 'sealed-mutated'; readonly mutations: readonly Mutation[] }
  | { readonly kind: 'random'; readonly bytes: Uint8Array }
  | { readonly kind: 'replayed' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'oversize'; readonly size: number }
  | { readonly kind: 'text' }
  | { readonly kind: 'empty' };

export type WsCase =
  | { readonly kind: 'hello'; readonly hello: HelloRecipe }
  | {
      readonly kind: 'session';
      /** Whether the first frame is the CONFIRM the protocol wants, or the frame made wrong. */
      readonly confirm: boolean;
      /** Valid sealed ACK 0 frames before the last one. */
      readonly valid: number;
      /** The frame made wrong, or none (the fuzzer then closes, 1000). */
      readonly last: FrameRecipe | undefined;
    };

/** Plaintexts the client sends (an ACK, a SIGNED_ACK, a CONFIRM), to mutate before sealing. */
export const CLIENT_PLAINTEXTS: readonly Uint8Array[] = [
  Uint8Array.of(FRAME_TYPE.ACK, 0, 0, 0, 0, 0, 0, 0, 0),
  Uint8Array.from([FRAME_TYPE.SIGNED_ACK, ...new Array<number>(72).fill(0)]),
  Uint8Array.of(FRAME_TYPE.CONFIRM),
];

const helloArb: fc.Arbitrary<HelloRecipe> = fc.oneof(
  { weight: 8, arbitrary: mutationsArb.map((mutations) => ({ kind: 'mutated' as const, mutations })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).filter((v) => v !== 3).map((version) => ({ kind: 'version' as const, version })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((length) => ({ kind: 'appIdLength' as const, length })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((size) => ({ kind: 'extended' as const, size })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'replayed' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'text' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'twice' as const }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1300 }).map((bytes) => ({ kind: 'random' as const, bytes })) },
);

const frameArb: fc.Arbitrary<FrameRecipe> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(CLIENT_PLAINTEXTS.length - 1), mutationsArb).map(([base, mutations]) => ({ kind: 'plain-mutated' as const, base, mutations })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'plain-random' as const, bytes })) },
  { weight: 4, arbitrary: mutationsArb.map((mutations) => ({ kind: 'sealed-mutated' as const, mutations })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'random' as const, bytes })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replayed' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'skipped' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 16_385, max: 200_000 }).map((size) => ({ kind: 'oversize' as const, size })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'text' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
);

export const wsCaseArb: fc.Arbitrary<WsCase> = fc.oneof(
  { weight: 2, arbitrary: helloArb.map((hello) => ({ kind: 'hello' as const, hello })) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('session' as const),
      confirm: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      valid: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 400 })),
      last: fc.oneof({ weight: 9, arbitrary: frameArb }, { weight: 1, arbitrary: fc.constant(undefined) }),
    }),
  },
);

/** A payload-free name for a case, for reports. */
export function wsCaseLabel(c: WsCase): string {
  if (c.kind === 'hello') return `hello ${c.hello.kind}${c.hello.kind === 'mutated' ? ` ${mutationLabel(c.hello.mutations)}` : ''}`;
  const last = c.last === undefined ? 'none' : c.last.kind + ('mutations' in c.last ? ` ${mutationLabel(c.last.mutations)}` : '');
  return `session${c.confirm ? '' : ' unconfirmed'} ${c.valid} valid, then ${last}`;
}

/** The hello bytes `recipe` sends, from a real hello (and the one sent before it, for a replay). */
export function helloBytes(recipe: HelloRecipe, hello: Uint8Array, previous: Uint8Array | undefined): Uint8Array {
  const bytes = Buffer.from(hello);
  switch (recipe.kind) {
    case 'mutated':
      return applyMutations(hello, recipe.mutations);
    case 'version':
      bytes[0] = recipe.version;
      return bytes;
    case 'appIdLength':
      bytes[1] = recipe.length;
      return bytes;
    case 'extended':
      return Buffer.concat([bytes, Buffer.alloc(recipe.size, 0x41)]);
    case 'replayed':
      return previous ?? bytes;
    case 'random':
      return recipe.bytes;
    case 'text':
    case 'twice':
      return bytes;
  }
}
