/**
 * Shape of `sealpush-cohort-v3.json`, the known-answer vectors of cohort envelopes (written by
 * scripts/make-cohort-vectors.ts, described in docs/protocol.md). Byte strings are lower-case hex.
 */

export interface CohortVectors {
  readonly description: string;
  readonly version: number;
  readonly appId: string;
  /** The cohort's members, in the order they were given to the envelope builder. */
  readonly members: readonly { readonly secret: string; readonly bundle: string }[];
  /** A session secret of a client outside the cohort: it finds no slot. */
  readonly outsiderSecret: string;
  /** Envelopes of the same members at consecutive ticks. */
  readonly ticks: readonly CohortTickVector[];
}

export interface CohortTickVector {
  readonly tick: number;
  readonly salt: string;
  readonly slotCount: number;
  readonly slotBytes: number;
  readonly header: string;
  /** Per member, same order as `members`: the envelope counter its slot carries. */
  readonly counters: readonly number[];
  /** The random bytes the builder read (filler slots, then the shuffle), in order. */
  readonly random: string;
  /** Per member, same order as `members`: its tag and one-time slot key for this envelope. */
  readonly slots: readonly { readonly tag: string; readonly key: string }[];
  readonly envelope: string;
}
