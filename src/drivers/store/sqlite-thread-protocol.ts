import type { MessageStore } from '../../domain/ports/message-store.js';

/** A call from the node's thread to the store worker. */
export interface StoreCall {
  readonly id: number;
  readonly method: keyof MessageStore;
  readonly args: unknown[];
}

/** The worker's answer: first a readiness report, then one reply per call. */
export type StoreReply =
  | { readonly ready: true }
  | { readonly ready: false; readonly error: string }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };
