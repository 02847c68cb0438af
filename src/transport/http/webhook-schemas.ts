/**
 * JSON Schemas of the webhook routes (`/v1/webhooks`, routes/webhooks.ts; docs/api.md), which
 * validate requests and feed the OpenAPI document. Split from schemas.ts by subject. The domain
 * checks the same values again (WebhookAdmin), so these bounds are the domain's own.
 */
import { WEBHOOK_EVENT_NAMES, WEBHOOK_EVENT_TYPES } from '../../domain/webhooks.js';
import { DEFAULT_FAILED_WEBHOOKS, MAX_FAILED_WEBHOOKS, MAX_WEBHOOK_SECRET_OVERLAP_MS } from '../../domain/usecases/webhook-endpoints.js';
import { BODY_REFUSALS, SIGNED_REFUSALS, errorResponses, isoTime, isoTimeOrNull, signed } from './schemas.js';

const endpointId = { type: 'string', pattern: '^whep_[A-Za-z0-9_-]{1,64}$', description: 'An endpoint id of this app (whep_...)' } as const;
const eventType = { type: 'string', enum: WEBHOOK_EVENT_TYPES } as const;

const endpointView = {
  type: 'object',
  required: ['id', 'appId', 'url', 'events', 'batch', 'createdAt', 'state', 'failingSince', 'pausedAt', 'previousSecretUntil'],
  properties: {
    id: { type: 'string' },
    appId: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: eventType },
    batch: { type: 'boolean' },
    createdAt: isoTime,
    state: { type: 'string', enum: ['active', 'failing', 'paused'], description: 'failing: its last attempts failed; paused: it kept failing, nothing is sent until POST /v1/webhooks/retry' },
    failingSince: isoTimeOrNull,
    pausedAt: isoTimeOrNull,
    previousSecretUntil: { ...isoTimeOrNull, description: 'Until when the rotated-out secret still signs alongside the current one; null: none' },
  },
} as const;

const endpointWithSecret = {
  ...endpointView,
  required: [...endpointView.required, 'secret'],
  properties: {
    ...endpointView.properties,
    secret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]+$', description: 'The signing secret (Standard Webhooks): shown in this answer only, never again' },
  },
} as const;

const failedEvent = {
  type: 'object',
  required: ['webhookId', 'endpointId', 'attempts', 'lastError', 'event'],
  properties: {
    webhookId: { type: 'string', description: 'The webhook-id it was sent with' },
    endpointId: { type: 'string' },
    attempts: { type: 'integer', minimum: 0 },
    lastError: { type: ['string', 'null'], description: 'Why the last attempt failed: a status code or an error class, never a body' },
    event: {
      type: 'object',
      required: ['type', 'timestamp', 'data'],
      properties: {
        type: eventType,
        timestamp: isoTime,
        data: {
          type: 'object',
          required: ['id', 'to', 'status', 'createdAt', 'deliveredAt', 'ackedAt', 'expiresAt'],
          properties: {
            id: { type: 'string' },
            to: { type: 'string' },
            status: { type: 'string', enum: ['delivered', 'acked', 'expired'] },
            createdAt: isoTime,
            deliveredAt: isoTimeOrNull,
            ackedAt: isoTimeOrNull,
            expiresAt: isoTime,
          },
        },
      },
    },
  },
} as const;

const endpointParams = { type: 'object', required: ['id'], properties: { id: endpointId } } as const;

export const webhookRouteSchemas = {
  addWebhook: {
    ...signed,
    tags: ['webhooks'],
    summary: "Add a webhook endpoint to the app; its signing secret is in this answer only",
    body: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: {
        url: { type: 'string', minLength: 1, maxLength: 2048, description: 'An https URL, without credentials or fragment' },
        events: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', enum: [...WEBHOOK_EVENT_NAMES, ...WEBHOOK_EVENT_TYPES] },
          description: 'The events it receives; default ["acked", "expired"]',
        },
        batch: { type: 'boolean', description: 'Let one request carry several events ({"type": "batch", ...}); default false' },
      },
    },
    response: { 201: { ...endpointWithSecret, description: 'The endpoint, with its secret (once)' }, ...errorResponses(BODY_REFUSALS) },
  },
  listWebhooks: {
    ...signed,
    tags: ['webhooks'],
    summary: "The app's webhook endpoints and their state, oldest first (never a secret)",
    response: { 200: { type: 'object', required: ['endpoints'], properties: { endpoints: { type: 'array', items: endpointView } }, description: 'The endpoints' }, ...errorResponses(SIGNED_REFUSALS) },
  },
  removeWebhook: {
    ...signed,
    tags: ['webhooks'],
    summary: 'Remove a webhook endpoint and the events still waiting for it',
    params: endpointParams,
    response: { 200: { type: 'object', required: ['removed'], properties: { removed: { type: 'string' } }, description: 'Removed' }, ...errorResponses([...SIGNED_REFUSALS, 'ERR_NOT_FOUND']) },
  },
  rotateWebhookSecret: {
    ...signed,
    tags: ['webhooks'],
    summary: "A new signing secret (in this answer only); the old one signs alongside it for the overlap",
    params: endpointParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        overlapHours: { type: 'number', minimum: 0, maximum: MAX_WEBHOOK_SECRET_OVERLAP_MS / 3600_000, description: 'How long the old secret still signs; default 24, 0: not at all' },
      },
    },
    response: { 200: { ...endpointWithSecret, description: 'The endpoint, with its new secret (once)' }, ...errorResponses([...BODY_REFUSALS, 'ERR_NOT_FOUND']) },
  },
  failedWebhooks: {
    ...signed,
    tags: ['webhooks'],
    summary: "The app's webhook events that ran out of retries, oldest first",
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$', description: `At most this many, 1 to ${MAX_FAILED_WEBHOOKS} (default ${DEFAULT_FAILED_WEBHOOKS})` } },
    },
    response: { 200: { type: 'object', required: ['failed'], properties: { failed: { type: 'array', items: failedEvent } }, description: 'The failed events' }, ...errorResponses(SIGNED_REFUSALS) },
  },
  retryWebhooks: {
    ...signed,
    tags: ['webhooks'],
    summary: "Send the app's failed webhook events again (of one endpoint, if given) and resume its paused endpoints",
    body: { type: 'object', additionalProperties: false, properties: { endpointId } },
    response: { 200: { type: 'object', required: ['requeued'], properties: { requeued: { type: 'integer', minimum: 0 } }, description: 'How many failed events will be sent again' }, ...errorResponses([...BODY_REFUSALS, 'ERR_NOT_FOUND']) },
  },
} as const;
