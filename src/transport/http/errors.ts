/**
 * The one mapping from anything a request can fail with to a catalogue error, and from a
 * catalogue error to an HTTP answer. Every error response has the body
 * `{ "error": { "code": "ERR_...", "message": "..." } }` and the catalogue's HTTP status.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';
import { ERROR_CATALOGUE, SealPushError, isSealPushError, type ErrorCode } from '../../domain/errors.js';

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** Fastify's own error codes that a client can cause, and the catalogue code each means. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'ERR_BAD_REQUEST',
  FST_ERR_BAD_URL: 'ERR_BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'ERR_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'ERR_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'ERR_NOT_FOUND',
  FST_ERR_VALIDATION: 'ERR_BAD_REQUEST',
};

/** Error-like values fastify hands to the error handler. */
interface FrameworkError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly validation?: unknown;
}

function asFrameworkError(err: unknown): FrameworkError {
  return typeof err === 'object' && err !== null ? (err as FrameworkError) : {};
}

/**
 * The catalogue error for anything thrown while serving a request, or undefined when it is
 * unexpected (a bug or an outage: the caller logs it and answers ERR_INTERNAL). Messages of
 * client errors are kept because they name the field at fault; nothing else is echoed.
 */
export function toCatalogueError(err: unknown): SealPushError | undefined {
  if (isSealPushError(err)) return err;
  const fe = asFrameworkError(err);
  const message = typeof fe.message === 'string' ? fe.message : undefined;
  if (fe.validation !== undefined) return new SealPushError('ERR_BAD_REQUEST', message);
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped !== undefined) return new SealPushError(mapped, mapped === 'ERR_BAD_REQUEST' ? message : undefined);
  // Any other 4xx from fastify or node:http is the client's doing; say only that.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new SealPushError('ERR_BAD_REQUEST');
  }
  return undefined;
}

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].http;
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { error: { code, message: message ?? ERROR_CATALOGUE[code].message } };
}

/** Answers with one catalogue error. ERR_UNAVAILABLE carries `Retry-After: 1`, ERR_RATE_LIMITED its own. */
export function sendError(reply: FastifyReply, err: SealPushError): FastifyReply {
  if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
  else if (err.code === 'ERR_UNAVAILABLE') void reply.header('retry-after', '1');
  return reply.code(httpStatusFor(err.code)).type('application/json').send(errorBody(err.code, err.message));
}

/**
 * The raw HTTP answer written straight to a socket when node:http cannot parse a request at
 * all (no fastify request exists yet), or when a WebSocket upgrade is refused. Same body
 * shape as every other error; `retryAfterSeconds` adds Retry-After.
 */
export function rawHttpError(code: ErrorCode, message?: string, retryAfterSeconds?: number): string {
  const body = JSON.stringify(errorBody(code, message));
  const status = httpStatusFor(code);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    (retryAfterSeconds === undefined ? '' : `Retry-After: ${retryAfterSeconds}\r\n`) +
    `Content-Length: ${new TextEncoder().encode(body).length}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
