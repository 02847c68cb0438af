/** What the domain needs from its runtime, passed in so that it stays free of I/O. */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A pino-compatible structured logger. Never pass it a secret, a key or a payload. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

/** Runs `fn` after the current I/O callbacks (setImmediate in Node). */
export type Defer = (fn: () => void) => void;
