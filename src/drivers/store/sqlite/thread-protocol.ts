import { errorMessage, isSealPushError, SealPushError, type ErrorCode } from '../../../domain/errors.js';
import type { Store } from '../../../domain/ports/store.js';

/**
 * A call from the node's thread to the store worker. `commit`, the hot one, carries its
 * batch packed and transferred (sqlite/thread-codec.ts); every other call is structured-cloned.
 */
export type StoreCall =
  | { readonly id: number; readonly method: 'commit'; readonly batch: ArrayBuffer }
  | { readonly id: number; readonly method: Exclude<keyof Store, 'commit'>; readonly args: unknown[] };

/**
 * The worker's answer: first a readiness report, then one reply per call. The result of a
 * `commit` is a PackedCommitResult, its `outcomes` transferred.
 */
export type StoreReply =
  | { readonly ready: true }
  | ({ readonly ready: false } & FailureReply)
  | { readonly id: number; readonly result: unknown }
  | ({ readonly id: number } & FailureReply);

/** A failure as it crosses the thread: its message, and its catalogue code when it has one. */
export interface FailureReply {
  readonly error: string;
  readonly code?: ErrorCode;
}

/** The worker's side: a thrown value as a reply (a SealPushError keeps its code). */
export function failureReply(err: unknown): FailureReply {
  const error = errorMessage(err);
  return isSealPushError(err) ? { error, code: err.code } : { error };
}

/** The node's side: the error the call rejects with, a SealPushError again when it was one. */
export function failureOf(reply: FailureReply): Error {
  return reply.code === undefined ? new Error(reply.error) : new SealPushError(reply.code, reply.error);
}
