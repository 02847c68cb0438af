import type { ErrorCode } from '../errors.js';

/**
 * What the node counts for operators (docs/metrics.md). Every label comes from a small fixed
 * set (an error code, 'ok'): never a client id, a message id or an app. Calls are cheap (a
 * counter or histogram update, no allocation) and made once per commit, frame or event.
 */
export interface Metrics {
  /** A WebSocket handshake ended: 'ok', or the code the connection was refused or closed with. */
  handshake(result: 'ok' | ErrorCode): void;
  /** One commit inserted `count` new messages. */
  published(count: number): void;
  /** One frame handed `count` messages to a client's connection. */
  delivered(count: number): void;
  /** Live delivery: seconds from a message's acceptance (createdAt) to its frame being sent. */
  deliveryLatency(seconds: number): void;
  /** An ACK covered `count` more messages delivered on its connection. */
  acked(count: number): void;
  /** A sweep marked `count` messages expired. */
  expired(count: number): void;
  /** One store commit took this long. */
  commitLatency(seconds: number): void;
  /** A REST request was refused with an ERR_AUTH_* code (ERR_AUTH_REPLAY: a replay). */
  authFailure(code: string): void;
}

const ignore = (): void => {};

/** Counts nothing: the default where no metrics are wired (domain unit tests, admin commands). */
export const NO_METRICS: Metrics = {
  handshake: ignore,
  published: ignore,
  delivered: ignore,
  deliveryLatency: ignore,
  acked: ignore,
  expired: ignore,
  commitLatency: ignore,
  authFailure: ignore,
};
