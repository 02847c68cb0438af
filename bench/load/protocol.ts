/** Messages between the bench (parent) and its load agents (child processes), over IPC. */
import type { ServerKind } from '../lib/servers.js';

export interface Target {
  readonly kind: ServerKind;
  readonly url: string;
  /** sealpush only. */
  readonly appId?: string;
  readonly serverKey?: string;
}

export type AgentCommand =
  /** Opens `count` clients (`concurrency` at a time); answers their client ids. */
  | { readonly op: 'connect'; readonly target: Target; readonly count: number; readonly concurrency: number; readonly idPrefix: string }
  /** From now on, count messages of this phase; message numbers are below `maxN`. */
  | { readonly op: 'expect'; readonly phase: number; readonly maxN: number }
  | { readonly op: 'progress' }
  | { readonly op: 'collect'; readonly phase: number }
  /** Opens and closes `total` fresh sessions, `inFlight` at a time. */
  /**
   * `mode` (sealpush only; default 'new'): 'new' opens fresh clients (IK, a new client each);
   * 'prepare' does the same and keeps each one's saved session once its resumption ticket
   * arrived; 'resume' reconnects each prepared session with its ticket (NNpsk0) and keeps the
   * new ticket, so that a later round resumes again.
   */
  | { readonly op: 'handshakes'; readonly target: Target; readonly total: number; readonly inFlight: number; readonly idPrefix: string; readonly mode?: SessionMode }
  | { readonly op: 'disconnect' };

export interface ConnectReply {
  readonly clientIds: string[];
  readonly failed: number;
  readonly firstError?: string;
}

export interface ProgressReply {
  readonly phase: number;
  readonly received: number;
  readonly disconnects: number;
}

export interface CollectReply {
  readonly received: number;
  readonly duplicates: number;
  /** Messages of another phase that arrived late (from a warm-up). */
  readonly stray: number;
  readonly disconnects: number;
  /** Monotonic microseconds of the last message of the phase (0 if none). */
  readonly lastReceivedUs: number;
  /** One end-to-end latency per message, microseconds. */
  readonly latenciesUs: Float64Array;
}

export type SessionMode = 'new' | 'prepare' | 'resume';

export interface HandshakeReply {
  readonly done: number;
  readonly failed: number;
  readonly startUs: number;
  readonly endUs: number;
  readonly firstError?: string;
}

export type AgentRequest = AgentCommand & { readonly rid: number };
export type AgentResponse = { readonly rid: number } & ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string });

/**
 * What the publisher puts in each message's `data`: the send time (monotonic µs), the
 * message number in its phase, the phase, and padding up to the message size.
 */
export interface BenchPayload {
  readonly t: number;
  readonly n: number;
  readonly r: number;
  readonly p: string;
}
