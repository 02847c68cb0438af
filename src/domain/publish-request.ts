import { SealPushError } from './errors.js';

/** Limits on what a publisher may send, as named options with their defaults. */
export interface PublishLimits {
  /** Largest `data`, as JSON text in UTF-8 bytes. Default 65536. */
  readonly maxDataBytes: number;
  /** TTL when the publisher gives none, seconds. Default 86400 (one day). */
  readonly defaultTtlSeconds: number;
  /** Largest TTL accepted, seconds. Default 2592000 (30 days). */
  readonly maxTtlSeconds: number;
}

export const DEFAULT_PUBLISH_LIMITS: PublishLimits = {
  maxDataBytes: 65_536,
  defaultTtlSeconds: 86_400,
  maxTtlSeconds: 2_592_000,
};

/** One validated message to publish; `data` is its JSON text in UTF-8. */
export interface PublishRequest {
  readonly to: string;
  readonly data: Uint8Array;
  readonly ttlSeconds: number;
  readonly id: string | undefined;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KNOWN_FIELDS = new Set(['to', 'data', 'ttl', 'id']);
const utf8 = new TextEncoder();

function bad(message: string): SealPushError {
  return new SealPushError('ERR_BAD_REQUEST', message);
}

/**
 * Checks one untrusted message object. Throws SealPushError (ERR_BAD_REQUEST or
 * ERR_TOO_LARGE) naming the field at fault; returns the request otherwise.
 */
export function parsePublishRequest(input: unknown, limits: PublishLimits): PublishRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('A message must be a JSON object');
  }
  const fields = input as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(key)) throw bad(`Unknown field "${key}" (allowed: to, data, ttl, id)`);
  }
  const { to, data, ttl, id } = fields;
  if (typeof to !== 'string' || !CLIENT_ID.test(to)) {
    throw bad('"to" must be a client id (1 to 64 characters of A-Z a-z 0-9 _ -)');
  }
  if (data === undefined) throw bad('"data" is required (any JSON value)');
  let ttlSeconds = limits.defaultTtlSeconds;
  if (ttl !== undefined) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > limits.maxTtlSeconds) {
      throw bad(`"ttl" must be an integer number of seconds from 1 to ${limits.maxTtlSeconds}`);
    }
    ttlSeconds = ttl;
  }
  if (id !== undefined && (typeof id !== 'string' || !MESSAGE_ID.test(id))) {
    throw bad('"id" must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
  }
  const bytes = utf8.encode(JSON.stringify(data));
  if (bytes.length > limits.maxDataBytes) {
    throw new SealPushError('ERR_TOO_LARGE', `"data" is ${bytes.length} bytes as JSON; the limit is ${limits.maxDataBytes}`);
  }
  return { to, data: bytes, ttlSeconds, id };
}
