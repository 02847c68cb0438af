/**
 * verifyWebhook (sealpush/app): the Standard Webhooks specification's published test vector,
 * what the server's own signer (drivers/webhooks/undici.ts) produces, and each refusal by its
 * code: a tampered body, a wrong secret, a stale or future timestamp, missing headers.
 */
import { afterEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { SealPushError, verifyWebhook, type WebhookBody, type WebhookHeaders } from '../../src/app/index.js';
import { webhookSignature } from '../../src/drivers/webhooks/undici.js';
import { formatWebhookSecret } from '../../src/domain/usecases/webhook-endpoints.js';
import { webhookBatchPayload, webhookPayload, type WebhookEventFields } from '../../src/domain/webhooks.js';
import type { ErrorCode } from '../../src/domain/errors.js';

// The specification's test vector (standard-webhooks, libraries' tests; Svix's before it).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const keyA = new Uint8Array(32).fill(7);
const keyB = new Uint8Array(32).fill(9);
const secretA = formatWebhookSecret(keyA);
const secretB = formatWebhookSecret(keyB);

const EVENT: WebhookEventFields = {
  type: 'message.acked', at: Date.UTC(2026, 0, 2, 3, 4, 5), messageId: 'job-1', clientId: 'c_abc',
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 0), expiresAt: Date.UTC(2026, 0, 3), deliveredAt: Date.UTC(2026, 0, 2, 3, 4, 1), ackedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
};
const BODY = JSON.stringify(webhookPayload(EVENT));

/** A request as the server signs it: `keys` each give one signature; `age` seconds before now. */
function signed(body: string, keys: Uint8Array[] = [keyA], age = 0, id = 'evt_1'): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000) - age;
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature(id, timestamp, body, keys) };
}

function refused(headers: WebhookHeaders, body: string | Uint8Array, secret: string, code: ErrorCode): void {
  assert.throws(() => verifyWebhook(headers, body, secret), (err: unknown) => err instanceof SealPushError && err.code === code);
}

describe('the specification test vector', () => {
  afterEach(() => mock.timers.reset());

  test('verifies at its own time, with the Headers class and a plain object', () => {
    mock.timers.enable({ apis: ['Date'], now: (VECTOR.timestamp + 10) * 1000 });
    const plain = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    assert.deepEqual(verifyWebhook(plain, VECTOR.body, VECTOR.secret), { test: 2432232314 });
    assert.deepEqual(verifyWebhook(new Headers(plain), new TextEncoder().encode(VECTOR.body), VECTOR.secret), { test: 2432232314 });
    // The server's signer gives the vector's signature.
    const key = Uint8Array.from(Buffer.from(VECTOR.secret.slice(6), 'base64'));
    assert.equal(webhookSignature(VECTOR.id, VECTOR.timestamp, VECTOR.body, [key]), VECTOR.signature);
  });

  test('is refused six minutes later, and a byte changed or another id is refused at its time', () => {
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    mock.timers.enable({ apis: ['Date'], now: (VECTOR.timestamp + 360) * 1000 });
    refused(headers, VECTOR.body, VECTOR.secret, 'ERR_AUTH_EXPIRED');
    mock.timers.reset();
    mock.timers.enable({ apis: ['Date'], now: VECTOR.timestamp * 1000 });
    refused(headers, VECTOR.body.replace('2432232314', '2432232315'), VECTOR.secret, 'ERR_AUTH_SIGNATURE');
    refused({ ...headers, 'webhook-id': 'msg_other' }, VECTOR.body, VECTOR.secret, 'ERR_AUTH_SIGNATURE');
  });
});

describe('verifyWebhook on what sealpush sends', () => {
  test('returns the event, typed; any header case, Node-style and Headers, string or bytes', () => {
    const headers = signed(BODY);
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    for (const [h, body] of [[headers, BODY], [upper, BODY], [new Headers(headers), new TextEncoder().encode(BODY)]] as const) {
      const event: WebhookBody = verifyWebhook(h, body, secretA);
      assert.ok(event.type === 'message.acked');
      assert.equal(event.data.status, 'acked');
      assert.equal(event.data.id, 'job-1');
      assert.deepEqual(event, JSON.parse(BODY));
    }
  });

  test('a batch body verifies as one', () => {
    const body = JSON.stringify(webhookBatchPayload([{ id: 'evt_1', ...webhookPayload(EVENT) }, { id: 'evt_2', ...webhookPayload({ ...EVENT, type: 'message.expired' }) }]));
    const batch = verifyWebhook(signed(body, [keyA], 0, 'batch_1_2'), body, secretA);
    assert.ok(batch.type === 'batch');
    assert.deepEqual(batch.events.map((e) => [e.id, e.data.status]), [['evt_1', 'acked'], ['evt_2', 'expired']]);
  });

  test('a tampered body, a wrong secret, a changed id or timestamp: ERR_AUTH_SIGNATURE', () => {
    const headers = signed(BODY);
    refused(headers, BODY.replace('"acked"', '"expired"'), secretA, 'ERR_AUTH_SIGNATURE');
    refused(headers, `${BODY} `, secretA, 'ERR_AUTH_SIGNATURE');
    refused(headers, BODY, secretB, 'ERR_AUTH_SIGNATURE');
    refused({ ...headers, 'webhook-id': 'evt_2' }, BODY, secretA, 'ERR_AUTH_SIGNATURE');
    refused({ ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }, BODY, secretA, 'ERR_AUTH_SIGNATURE');
    refused({ ...headers, 'webhook-signature': headers['webhook-signature']!.replace('v1,', 'v2,') }, BODY, secretA, 'ERR_AUTH_SIGNATURE');
    refused(headers, Uint8Array.of(0xff, ...new TextEncoder().encode(BODY)), secretA, 'ERR_AUTH_SIGNATURE');
  });

  test('a timestamp more than 5 minutes old or ahead: ERR_AUTH_EXPIRED; within them: accepted', () => {
    refused(signed(BODY, [keyA], 301), BODY, secretA, 'ERR_AUTH_EXPIRED');
    refused(signed(BODY, [keyA], -301), BODY, secretA, 'ERR_AUTH_EXPIRED');
    assert.equal(verifyWebhook(signed(BODY, [keyA], 290), BODY, secretA).type, 'message.acked');
    assert.equal(verifyWebhook(signed(BODY, [keyA], -290), BODY, secretA).type, 'message.acked');
  });

  test('during a rotation two signatures come: either secret verifies, a third does not', () => {
    const headers = signed(BODY, [keyB, keyA]);
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    assert.equal(verifyWebhook(headers, BODY, secretA).type, 'message.acked');
    assert.equal(verifyWebhook(headers, BODY, secretB).type, 'message.acked');
    refused(headers, BODY, formatWebhookSecret(new Uint8Array(32).fill(1)), 'ERR_AUTH_SIGNATURE');
  });

  test('a missing or malformed header: ERR_AUTH_MISSING; a secret that is not whsec_: ERR_BAD_REQUEST', () => {
    const headers = signed(BODY);
    for (const name of Object.keys(headers)) {
      const { [name]: _dropped, ...rest } = headers;
      refused(rest, BODY, secretA, 'ERR_AUTH_MISSING');
      refused({ ...rest, [name]: '' }, BODY, secretA, 'ERR_AUTH_MISSING');
    }
    refused({ ...headers, 'webhook-timestamp': `${headers['webhook-timestamp']}x` }, BODY, secretA, 'ERR_AUTH_MISSING');
    refused(headers, BODY, secretA.slice(6), 'ERR_BAD_REQUEST');
    refused(headers, BODY, 'whsec_not base64!', 'ERR_BAD_REQUEST');
  });
});
