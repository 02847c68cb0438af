/**
 * Byte-level mutation of recorded real traffic (a hello, a sealed frame, a request body):
 * the classic operators of mutation fuzzers, as fast-check arbitraries so that a case is
 * reproducible from its seed. Positions are fractions of the input, so one mutation applies
 * to inputs of any length.
 */
import fc from 'fast-check';

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly bytes: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly count: number }
  | { readonly op: 'repeat'; readonly at: number; readonly count: number };

// Unbiased: fast-check leans towards the edges, which would put most mutations on the first byte.
const position = fc.noBias(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 64 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), at: position, value: fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x22, 0x5c, 0x7b) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extend' as const), bytes: someBytes }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: someBytes }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at: position, count: fc.integer({ min: 1, max: 64 }) }) },
);

/** One to four mutations, applied in turn. */
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

export function applyMutation(input: Uint8Array, mutation: Mutation): Uint8Array {
  const at = 'at' in mutation ? Math.floor(mutation.at * input.length) : 0;
  const bytes = Buffer.from(input);
  switch (mutation.op) {
    case 'flip':
      if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << mutation.bit);
      return bytes;
    case 'set':
      if (bytes.length > 0) bytes[at] = mutation.value;
      return bytes;
    case 'truncate':
      return bytes.subarray(0, at);
    case 'extend':
      return Buffer.concat([bytes, mutation.bytes]);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + mutation.count)]);
    case 'repeat': {
      const piece = bytes.subarray(at, at + 8);
      return Buffer.concat([bytes.subarray(0, at), ...Array.from({ length: mutation.count }, () => piece), bytes.subarray(at)]);
    }
  }
}

export function applyMutations(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  return mutations.reduce(applyMutation, input);
}

/** A payload-free name for a list of mutations, for reports. */
export const mutationLabel = (mutations: readonly Mutation[]): string => mutations.map((m) => m.op).join('+');
