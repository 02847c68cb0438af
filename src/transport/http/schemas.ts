/**
 * JSON Schemas of every REST request and response (they also feed the OpenAPI document).
 * Requests are checked only for their envelope: each message's own fields are validated by
 * the domain (PushApi.publish), so that a batch item's error is that item's result, and a
 * single message fails with the same codes and messages as a batch item.
 */
import { ERROR_CODES } from '../../domain/errors.js';

/** Most messages in one batch request. */
export const MAX_BATCH_MESSAGES = 1000;

const messageStatus = { type: 'string', enum: ['queued', 'delivered', 'acked', 'expired'] } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;
const isoTimeOrNull = { type: ['string', 'null'], format: 'date-time' } as const;

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

const errorResponses = {
  '4xx': { ...errorResponse, description: 'Refused: { error: { code, message } }, the code from the catalogue (docs/errors.md)' },
  '5xx': { ...errorResponse, description: 'Failed or unavailable (ERR_UNAVAILABLE, ERR_INTERNAL)' },
} as const;

/** Each /v1 route: the signed-request scheme or a bearer JWT (openapi.ts defines both). */
const signed = { security: [{ sealpushHmac: [] }, { bearerJwt: [] }] } as const;
const unsigned = { security: [] } as const;
/** Each /v1/admin route: an operator's admin token (`sealpush admin create`; openapi.ts). */
const admin = { security: [{ adminToken: [] }] } as const;

const adminOverview = {
  type: 'object',
  required: ['serverKeyFingerprint', 'uptimeSeconds', 'connections', 'apps', 'nodes', 'partial'],
  properties: {
    serverKeyFingerprint: { type: 'string', description: "The fingerprint of the server's current identity key (clients pin it)" },
    uptimeSeconds: { type: 'integer', minimum: 0, description: 'Of the node that answered' },
    connections: { type: 'integer', minimum: 0, description: 'Open WebSocket connections on every node' },
    nodes: {
      type: 'array',
      description: 'Every node that reported within the last 5 s (over Redis; one node: itself), by node id',
      items: {
        type: 'object',
        required: ['nodeId', 'self', 'connections', 'uptimeSeconds', 'reportedAt'],
        properties: {
          nodeId: { type: 'string' },
          self: { type: 'boolean', description: 'The node that answered this request' },
          connections: { type: 'integer', minimum: 0 },
          uptimeSeconds: { type: 'integer', minimum: 0 },
          reportedAt: isoTime,
        },
      },
    },
    partial: { type: 'boolean', description: "true when the other nodes' reports could not be read (Redis unreachable): the counts are this node's only" },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['appId', 'name', 'connections', 'pending'],
        properties: {
          appId: { type: 'string' },
          name: { type: 'string' },
          connections: { type: 'integer', minimum: 0, description: "The app's connected clients on every node" },
          pending: { type: 'integer', minimum: 0, description: 'Its messages queued or delivered, not acked or expired (all nodes)' },
        },
      },
    },
  },
} as const;

const auditVerification = {
  type: ['object', 'null'],
  required: ['state', 'at', 'headSeq', 'records', 'checkpoints'],
  properties: {
    state: { type: 'string', enum: ['verified', 'failed'], description: 'verified: the chain and every checkpoint signature are intact; failed: see problem' },
    at: { ...isoTime, description: 'When this node finished the verification' },
    headSeq: { type: 'integer', minimum: 0, description: 'The head it verified up to' },
    records: { type: 'integer', minimum: 0 },
    checkpoints: { type: 'integer', minimum: 0, description: 'Checkpoint signatures checked' },
    problem: {
      type: 'object',
      required: ['seq', 'code', 'reason'],
      properties: {
        seq: { type: 'integer', description: '0 when the audit key itself failed' },
        code: { type: 'string', description: 'Why, as `sealpush audit verify --json` names it (docs/audit.md), e.g. audit-key-replaced, records-uncovered' },
        reason: { type: 'string' },
      },
      description: 'The first record that is not what the server wrote',
    },
  },
  description: 'The last verification of the chain any node ran (POST /v1/admin/audit/verify; other nodes report theirs over Redis), or null before the first',
} as const;

const adminAudit = {
  type: 'object',
  required: ['headSeq', 'lastCheckpoint', 'verification'],
  properties: {
    headSeq: { type: 'integer', minimum: 0, description: "The audit chain's last record (0: empty)" },
    verification: auditVerification,
    lastCheckpoint: {
      type: ['object', 'null'],
      required: ['seq', 'at'],
      properties: { seq: { type: 'integer' }, at: isoTime },
      description: 'The last signed checkpoint, or null before the first',
    },
  },
} as const;

const adminThroughput = {
  type: 'object',
  required: ['intervalSeconds', 'endsAt', 'published', 'delivered'],
  properties: {
    intervalSeconds: { type: 'integer', const: 1 },
    endsAt: { ...isoTime, description: 'Start of the last bucket (the current second, still filling)' },
    published: { type: 'array', items: { type: 'number', minimum: 0 }, description: 'Messages committed, per second, oldest first' },
    delivered: { type: 'array', items: { type: 'number', minimum: 0 }, description: 'Messages handed to client connections, per second, oldest first' },
  },
} as const;

const adminAuthFailures = {
  type: 'object',
  required: ['failures'],
  properties: {
    failures: {
      type: 'array',
      description: 'Newest first; every one is also in the audit log',
      items: {
        type: 'object',
        required: ['at', 'code', 'scheme', 'appId', 'issuer', 'remote'],
        properties: {
          at: isoTime,
          code: { type: 'string', description: 'ERR_AUTH_MISSING, ERR_AUTH_SIGNATURE, ERR_AUTH_EXPIRED or ERR_AUTH_REPLAY' },
          scheme: { type: 'string', enum: ['hmac', 'bearer', 'none'] },
          appId: { type: ['string', 'null'], description: 'The app id the request claimed, if any (unverified)' },
          issuer: { type: ['string', 'null'], description: 'The JWT issuer it claimed, if any (unverified)' },
          remote: { type: 'string', description: 'The client address' },
        },
      },
    },
  },
} as const;

export const publishAccepted = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: messageStatus },
} as const;

/**
 * One message as a publisher sends it. The field schemas carry descriptions only (no types),
 * so they document without validating: the domain checks each message (see the header).
 */
export const messageInput = {
  type: 'object',
  description: 'A message for one client: { to, data, ttl?, id? }.',
  properties: {
    to: { description: 'string: the recipient client id (1-64 of A-Z a-z 0-9 _ -).' },
    data: { description: 'Any JSON value, delivered to the client as is (size-limited).' },
    ttl: { description: 'integer, optional: seconds until the message expires undelivered.' },
    id: { description: 'string, optional: idempotency key; the same id again returns the first message.' },
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
      items: { description: messageInput.description },
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
    response: { 202: { ...publishAccepted, description: 'Accepted: the message is queued (or, for a known id with the same to, data and ttl, the first one; other parameters: 409 ERR_IDEMPOTENCY_CONFLICT)' }, ...errorResponses },
  },
  publishBatch: {
    ...signed,
    tags: ['messages'],
    description: 'Each result is { id, status } or { error } for that item alone, in the order sent.',
    summary: `Publish 1 to ${MAX_BATCH_MESSAGES} messages; one result per message, in order`,
    body: publishBatchBody,
    response: { 202: { ...publishBatchResponse, description: 'One result per message, in order' }, ...errorResponses },
  },
  messageStatus: {
    ...signed,
    tags: ['messages'],
    summary: 'A message and its delivery status',
    params: idParams,
    response: { 200: { ...messageView, description: 'The message and its status' }, ...errorResponses },
  },
  messageReceipt: {
    ...signed,
    tags: ['messages'],
    summary: "The client's signed ACK of a message (proof of delivery); 409 ERR_NO_RECEIPT when there is none",
    params: idParams,
    response: { 200: { ...receiptView, description: 'The signed receipt covering the message' }, ...errorResponses },
  },
  clientInfo: {
    ...signed,
    tags: ['clients'],
    summary: 'A client and its pending messages',
    params: idParams,
    response: { 200: { ...clientView, description: 'The client' }, ...errorResponses },
  },
  forgetClient: {
    ...signed,
    tags: ['clients'],
    summary: "Forget a client: destroy its key and every message of it; its id is never valid again",
    params: idParams,
    response: { 200: { ...forgottenClientView, description: 'The client is forgotten' }, ...errorResponses },
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
  adminOverview: {
    ...admin,
    tags: ['admin'],
    summary: 'Operator overview: server key fingerprint, the nodes, connections, and per app its connections and pending messages (all nodes)',
    response: { 200: { ...adminOverview, description: 'The overview' }, ...errorResponses },
  },
  adminAudit: {
    ...admin,
    tags: ['admin'],
    summary: "The audit chain's head seq and its last signed checkpoint",
    response: { 200: { ...adminAudit, description: 'The audit state' }, ...errorResponses },
  },
  adminAuditVerify: {
    ...admin,
    tags: ['admin'],
    summary: 'Verify the audit chain and every checkpoint signature now (as `sealpush audit verify`); the result is kept as the verification state',
    response: { 200: { ...auditVerification, type: 'object', description: 'The verification' }, ...errorResponses },
  },
  adminThroughput: {
    ...admin,
    tags: ['admin'],
    summary: 'Messages published and delivered per second, all nodes summed, over the last seconds (at most 600)',
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { seconds: { type: 'string', pattern: '^([1-9][0-9]?|[1-5][0-9]{2}|600)$', description: 'How many seconds, 1 to 600 (default 300)' } },
    },
    response: { 200: { ...adminThroughput, description: 'Two per-second series' }, ...errorResponses },
  },
  adminAuthFailures: {
    ...admin,
    tags: ['admin'],
    summary: 'The last REST requests refused with an ERR_AUTH_* code, on any node (at most 50)',
    response: { 200: { ...adminAuthFailures, description: 'The refusals, newest first' }, ...errorResponses },
  },
  openapi: {
    ...unsigned,
    tags: ['meta'],
    summary: 'This API as an OpenAPI 3.1 document, generated from the route schemas (unsigned; a readable page is GET /docs)',
    response: { 200: { description: 'The OpenAPI document', type: 'object', required: ['openapi', 'info', 'paths'], additionalProperties: true, properties: { openapi: { type: 'string' } } } },
  },
} as const;
