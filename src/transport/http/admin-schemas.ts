/**
 * JSON Schemas of the operator routes' answers (`/v1/admin/*`, routes/admin.ts; the /dashboard
 * page reads them). Split from schemas.ts by audience: these change with the dashboard.
 */
import type { ErrorCode } from '../../domain/errors.js';
import { errorResponses, isoTime } from './schemas.js';

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
        required: ['appId', 'name', 'connections', 'pending', 'webhooks'],
        properties: {
          appId: { type: 'string' },
          name: { type: 'string' },
          connections: { type: 'integer', minimum: 0, description: "The app's connected clients on every node" },
          pending: { type: 'integer', minimum: 0, description: 'Its messages queued or delivered, not acked or expired (all nodes)' },
          webhooks: {
            type: 'object',
            description: 'Its webhook endpoints (docs/webhooks.md): how many, failing, paused, and its events kept as failed',
            required: ['endpoints', 'failing', 'paused', 'failedEvents'],
            properties: {
              endpoints: { type: 'integer', minimum: 0 },
              failing: { type: 'integer', minimum: 0, description: 'Endpoints whose last attempts failed (not paused)' },
              paused: { type: 'integer', minimum: 0, description: 'Endpoints paused after failing too long: sealpush webhooks retry resumes them' },
              failedEvents: { type: 'integer', minimum: 0, description: 'Events that ran out of retries: sealpush webhooks failed lists them' },
            },
          },
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

/** Each /v1/admin route: an operator's admin token (`sealpush admin create`; openapi.ts), nothing else. */
const admin = { security: [{ adminToken: [] }] } as const;
/** What the admin token check (routes/admin.ts) and the failed-auth limit refuse with. */
const ADMIN_REFUSALS: readonly ErrorCode[] = ['ERR_BAD_REQUEST', 'ERR_AUTH_MISSING', 'ERR_AUTH_SIGNATURE', 'ERR_RATE_LIMITED'];
const adminErrors = errorResponses(ADMIN_REFUSALS);

export const adminRouteSchemas = {
  adminOverview: {
    ...admin,
    tags: ['admin'],
    summary: 'Operator overview: server key fingerprint, the nodes, connections, and per app its connections and pending messages (all nodes)',
    response: { 200: { ...adminOverview, description: 'The overview' }, ...adminErrors },
  },
  adminAudit: {
    ...admin,
    tags: ['admin'],
    summary: "The audit chain's head seq and its last signed checkpoint",
    response: { 200: { ...adminAudit, description: 'The audit state' }, ...adminErrors },
  },
  adminAuditVerify: {
    ...admin,
    tags: ['admin'],
    summary: 'Verify the audit chain and every checkpoint signature now (as `sealpush audit verify`); the result is kept as the verification state',
    response: { 200: { ...auditVerification, type: 'object', description: 'The verification' }, ...adminErrors },
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
    response: { 200: { ...adminThroughput, description: 'Two per-second series' }, ...adminErrors },
  },
  adminAuthFailures: {
    ...admin,
    tags: ['admin'],
    summary: 'The last REST requests refused with an ERR_AUTH_* code, on any node (at most 50)',
    response: { 200: { ...adminAuthFailures, description: 'The refusals, newest first' }, ...adminErrors },
  },
} as const;
