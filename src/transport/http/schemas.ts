/**
 * JSON Schemas of every REST request and response (they also feed the OpenAPI document).
 * Requests are checked only for their envelope: each message's own fields are validated by
 * the domain (PushApi.publish), so that a batch item's error is that item's result, and a
 * single message fails with the same codes and messages as a batch item.
 */
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from '../../domain/errors.js';
import { DEFAULT_PUBLISH_LIMITS } from '../../domain/publish-request.js';

/** Most messages in one batch request. */
export const MAX_BATCH_MESSAGES = 1000;

const messageStatus = { type: 'string', enum: ['queued', 'delivered', 'acked', 'expired'] } as const;
export const isoTime = { type: 'string', format: 'date-time' } as const;
export const isoTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: ERROR_CODES },
        message: { type: 'string' },
      },
    },
  },
} as const;

/**
 * Annotations for the reader of the OpenAPI document and /docs (docs-page.ts), on fields the
 * schema leaves to the domain to check: ajv accepts them and checks nothing with them.
 */
export const DOC_KEYWORDS = ['x-type', 'x-required', 'x-limits'];

/**
 * A route's error answers: the catalogue's shape, its `code` narrowed to what the route can
 * answer (docs/api.md lists them per route), so the document and /docs name those, not all.
 * Every route may fail with ERR_UNAVAILABLE or ERR_INTERNAL.
 */
export function errorResponses(codes: readonly ErrorCode[]) {
  const shape = (only: readonly ErrorCode[], description: string) => ({
    ...errorResponse,
    description,
    properties: { error: { ...errorResponse.properties.error, properties: { ...errorResponse.properties.error.properties, code: { type: 'string', enum: only } } } },
  });
  return {
    '4xx': shape(codes.filter((code) => ERROR_CATALOGUE[code].http < 500), 'Refused: { error: { code, message } } (docs/errors.md)'),
    '5xx': shape(['ERR_UNAVAILABLE', 'ERR_INTERNAL'], 'Failed or unavailable: retry later'),
  };
}

/** What any signed request may be refused with before its route runs (auth.ts, the failed-auth limit). */
export const SIGNED_REFUSALS: readonly ErrorCode[] = ['ERR_BAD_REQUEST', 'ERR_AUTH_MISSING', 'ERR_AUTH_SIGNATURE', 'ERR_AUTH_EXPIRED', 'ERR_AUTH_REPLAY', 'ERR_RATE_LIMITED'];
/** ... and a request with a body, besides. */
export const BODY_REFUSALS: readonly ErrorCode[] = [...SIGNED_REFUSALS, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_TOO_LARGE'];
/** What one message may be refused with (a whole request for /messages, one result in /messages/batch). */
const MESSAGE_REFUSALS: readonly ErrorCode[] = ['ERR_NOT_FOUND', 'ERR_CLIENT_FULL', 'ERR_IDEMPOTENCY_CONFLICT', 'ERR_SEALED_MESSAGE', 'ERR_MESSAGE_SIGNATURE'];

/** Each /v1 route: the signed-request scheme or a bearer JWT (openapi.ts defines both). */
export const signed = { security: [{ sealpushHmac: [] }, { bearerJwt: [] }] } as const;
const unsigned = { security: [] } as const;

export const publishAccepted = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: messageStatus },
} as const;

/**
 * One message as a publisher sends it. The fields carry annotations only (DOC_KEYWORDS), so
 * they document without validating: the domain checks each message (see the header).
 */
export const messageInput = {
  type: 'object',
  description: 'A message for one client: { to, data, ttl?, id? }.',
  properties: {
    to: {
      'x-type': 'string',
      'x-required': true,
      'x-limits': '1-64 characters of A-Z a-z 0-9 _ -',
      description: 'The recipient client id, as the client passed it to your application.',
    },
    data: {
      'x-type': 'any JSON',
      'x-required': true,
      'x-limits': `at most ${DEFAULT_PUBLISH_LIMITS.maxDataBytes} bytes as JSON (limits.maxDataBytes)`,
      description: 'Delivered to the client as is, sealed.',
    },
    ttl: {
      'x-type': 'integer',
      'x-limits': `1-${DEFAULT_PUBLISH_LIMITS.maxTtlSeconds} seconds; default ${DEFAULT_PUBLISH_LIMITS.defaultTtlSeconds}`,
      description: 'Seconds until the message expires undelivered.',
    },
    id: {
      'x-type': 'string',
      'x-limits': '1-128 characters of A-Z a-z 0-9 . _ : -',
      description: "Idempotency key and the message's id: the same id with the same to, data and ttl returns the first message. Without it sealpush generates one.",
    },
  },
} as const;

export const publishBatchBody = {
  type: 'object',
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_MESSAGES,
      // Each item is checked by the domain, so that its error is its own result.
      items: { description: messageInput.description, 'x-type': 'object: a message, its fields as for POST /v1/messages' },
    },
  },
} as const;

export const publishBatchResponse = {
  type: 'object',
  required: ['results'],
  properties: {
    results: { type: 'array', items: { anyOf: [publishAccepted, errorResponse] } },
  },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

export const messageView = {
  type: 'object',
  required: ['id', 'to', 'status', 'createdAt', 'expiresAt', 'deliveredAt', 'ackedAt'],
  properties: {
    id: { type: 'string' },
    to: { type: 'string' },
    status: messageStatus,
    createdAt: isoTime,
    expiresAt: isoTime,
    deliveredAt: isoTimeOrNull,
    ackedAt: isoTimeOrNull,
  },
} as const;

const base64url = { type: 'string', pattern: '^[A-Za-z0-9_-]*$' } as const;

export const receiptView = {
  type: 'object',
  required: ['messageId', 'clientId', 'appId', 'seq', 'ackedAt', 'ackKey', 'receipt'],
  properties: {
    messageId: { type: 'string' },
    clientId: { type: 'string' },
    appId: { type: 'string' },
    seq: { type: 'integer', minimum: 1 },
    ackedAt: isoTime,
    ackKey: base64url,
    receipt: {
      type: 'object',
      required: ['fromSeq', 'uptoSeq', 'messages', 'signature', 'signedBytes'],
      properties: {
        fromSeq: { type: 'integer', minimum: 0 },
        uptoSeq: { type: 'integer', minimum: 1 },
        messages: {
          type: 'array',
          items: {
            type: 'object',
            required: ['seq', 'id'],
            properties: { seq: { type: 'integer', minimum: 1 }, id: { type: 'string' } },
          },
        },
        signature: base64url,
        signedBytes: base64url,
      },
    },
  },
} as const;

export const clientView = {
  type: 'object',
  required: ['id', 'online', 'lastSeen', 'pending', 'hpkeKey'],
  properties: {
    id: { type: 'string' },
    online: { type: 'boolean' },
    lastSeen: isoTimeOrNull,
    pending: { type: 'integer', minimum: 0 },
    hpkeKey: {
      type: ['string', 'null'],
      description: "base64url of the client's 32-byte X25519 HPKE public key, for relay-blind sealing; null when it published none.",
    },
  },
} as const;

export const forgottenClientView = {
  type: 'object',
  required: ['id', 'forgotten', 'messagesDeleted', 'receiptsDeleted', 'forgottenAt', 'journalScrubbed'],
  properties: {
    id: { type: 'string' },
    forgotten: { type: 'boolean', enum: [true] },
    messagesDeleted: { type: 'integer', minimum: 0 },
    receiptsDeleted: { type: 'integer', minimum: 0, description: "The client's signed receipts, deleted with it (docs/forget.md)" },
    forgottenAt: isoTime,
    journalScrubbed: {
      type: 'boolean',
      description: "SQLite: the write-ahead log was truncated at once, so no old page image of the client is left in it. MySQL: always false (InnoDB's undo and redo logs and the binlog keep old row images until they rotate; docs/forget.md)",
    },
  },
} as const;

export const routeSchemas = {
  publish: {
    ...signed,
    tags: ['messages'],
    summary: 'Publish one message',
    description: 'Queues one sealed message for a client of the app; an item error has the status of its code.',
    body: messageInput,
    response: { 202: { ...publishAccepted, description: 'Accepted: the message is queued (or, for a known id with the same to, data and ttl, the first one; other parameters: 409 ERR_IDEMPOTENCY_CONFLICT)' }, ...errorResponses([...BODY_REFUSALS, ...MESSAGE_REFUSALS]) },
  },
  publishBatch: {
    ...signed,
    tags: ['messages'],
    description: 'Each result is { id, status } or { error } for that item alone, in the order sent.',
    summary: `Publish 1 to ${MAX_BATCH_MESSAGES} messages; one result per message, in order`,
    body: publishBatchBody,
    response: { 202: { ...publishBatchResponse, description: 'One result per message, in order' }, ...errorResponses(BODY_REFUSALS) },
  },
  messageStatus: {
    ...signed,
    tags: ['messages'],
    summary: 'A message and its delivery status',
    params: idParams,
    response: { 200: { ...messageView, description: 'The message and its status' }, ...errorResponses([...SIGNED_REFUSALS, 'ERR_NOT_FOUND']) },
  },
  messageReceipt: {
    ...signed,
    tags: ['messages'],
    summary: "The client's signed ACK of a message (proof of delivery); 409 ERR_NO_RECEIPT when there is none",
    params: idParams,
    response: { 200: { ...receiptView, description: 'The signed receipt covering the message' }, ...errorResponses([...SIGNED_REFUSALS, 'ERR_NOT_FOUND', 'ERR_NO_RECEIPT']) },
  },
  clientInfo: {
    ...signed,
    tags: ['clients'],
    summary: 'A client and its pending messages',
    params: idParams,
    response: { 200: { ...clientView, description: 'The client' }, ...errorResponses([...SIGNED_REFUSALS, 'ERR_NOT_FOUND']) },
  },
  forgetClient: {
    ...signed,
    tags: ['clients'],
    summary: "Forget a client: destroy its key and every message of it; its id is never valid again",
    params: idParams,
    response: { 200: { ...forgottenClientView, description: 'The client is forgotten' }, ...errorResponses([...SIGNED_REFUSALS, 'ERR_NOT_FOUND']) },
  },
  health: {
    ...unsigned,
    tags: ['probes'],
    summary: 'Liveness: the process serves HTTP',
    response: {
      200: { description: 'Alive', type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
    },
  },
  ready: {
    ...unsigned,
    tags: ['probes'],
    summary: 'Readiness: the node accepts work (503 while starting or draining)',
    response: {
      200: { description: 'Ready', type: 'object', required: ['ready'], properties: { ready: { type: 'boolean', enum: [true] } } },
      503: { ...errorResponse, description: 'ERR_UNAVAILABLE: starting, draining or cut off from the store' },
    },
  },
  metrics: {
    ...unsigned,
    tags: ['probes'],
    summary: 'Prometheus metrics of this node, as text (docs/metrics.md); keep it on the private network',
    // No response schema: the body is Prometheus text, which a JSON serializer would quote.
  },
  openapi: {
    ...unsigned,
    tags: ['meta'],
    summary: 'This API as an OpenAPI 3.1 document, generated from the route schemas (unsigned; a readable page is GET /docs)',
    response: { 200: { description: 'The OpenAPI document', type: 'object', required: ['openapi', 'info', 'paths'], additionalProperties: true, properties: { openapi: { type: 'string' } } } },
  },
} as const;
