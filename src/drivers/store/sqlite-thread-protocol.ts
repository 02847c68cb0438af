import type { MessageStore } from '../../domain/ports/message-store.js';

/**
 * A call from the node's thread to the store worker. `commit`, the hot one, carries its
 * batch packed and transferred (sqlite-thread-codec.ts); every other call is structured-cloned.
 */
export type StoreCall =
  | { readonly id: number; readonly method: 'commit'; readonly batch: ArrayBuffer }
  | { readonly id: number; readonly method: Exclude<keyof MessageStore, 'commit'>; readonly args: unknown[] };

/**
 * The worker's answer: first a readiness report, then one reply per call. The result of a
 * `commit` is a PackedCommitResult, its `outcomes` transferred.
 */
export type StoreReply =
  | { readonly ready: true }
  | { readonly ready: false; readonly error: string }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };
