/**
 * WebhookTransport over undici (ports/webhook-transport.ts): one keep-alive Agent per node, so
 * the requests of an endpoint reuse their connections; Standard Webhooks signatures.
 *
 * Safety (docs/webhooks.md): the address is checked when the connection is made, on the
 * address DNS gave for that very connection (a lookup hook), so a name that resolves to a
 * public address when configured and to 127.0.0.1 when sent is still refused; an IP literal in
 * the URL is checked before the request. Redirects are not followed (undici's request does
 * not follow them, and a 3xx counts as a failure). The answer's body is read up to 64 KiB and
 * thrown away. Neither a secret nor a body is ever logged.
 */
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { WebhookAttempt, WebhookRequest, WebhookTransport } from '../../domain/ports/webhook-transport.js';

export interface UndiciWebhookOptions {
  /** Allow loopback, private and link-local targets (SEALPUSH_WEBHOOK_ALLOW_PRIVATE=1). Default false. */
  readonly allowPrivate?: boolean;
  /** Bound on connecting, on the answer's headers and on its body, each; ms. Default 10000. */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /**
   * CA certificates (PEM) to trust instead of Node's: the benchmark's own. `serve` never sets
   * it: a node trusts a private CA through NODE_EXTRA_CA_CERTS, beside the public ones.
   */
  readonly ca?: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/** Addresses a webhook may not reach unless private targets are allowed. */
function privateRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const PRIVATE = privateRanges();

/** Whether `address` (an IP literal) is loopback, private, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

class PrivateAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_PRIVATE_ADDRESS';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing private answers. */
function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused !== undefined) return callback(new PrivateAddressError(`${hostname} resolves to a private address`), '');
    if (options.all === true) return callback(null, list);
    const first = list[0];
    if (first === undefined) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
}

/** `v1,<base64>` for each secret, space-separated: the Standard Webhooks signature header. */
export function webhookSignature(id: string, timestamp: number, body: string, secrets: readonly Uint8Array[]): string {
  const signed = `${id}.${timestamp}.${body}`;
  return secrets.map((secret) => `v1,${createHmac('sha256', secret).update(signed).digest('base64')}`).join(' ');
}

/** A failure's class, for the outbox's last_error: never a message that could hold a body. */
function failureClass(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code ?? '');
  if (code === 'ERR_WEBHOOK_PRIVATE_ADDRESS') return 'private-address';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection-reset';
  if (/TIMEOUT/i.test(code)) return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO/i.test(code)) return 'tls';
  return code === '' ? 'network' : `network ${code}`;
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function undiciWebhookTransport(options: UndiciWebhookOptions = {}): WebhookTransport {
  const timeout = options.timeoutMs ?? 10_000;
  const allowPrivate = options.allowPrivate === true;
  const agent = new Agent({
    connect: { timeout, ...(allowPrivate ? {} : { lookup: guardedLookup }), ...(options.ca === undefined ? {} : { ca: options.ca }) },
    headersTimeout: timeout,
    bodyTimeout: timeout,
    keepAliveTimeout: 30_000,
    connections: 16,
  });
  const userAgent = options.userAgent ?? 'sealpush-webhooks';

  return {
    async send(req: WebhookRequest): Promise<WebhookAttempt> {
      try {
        const host = new URL(req.url).hostname.replace(/^\[|\]$/g, '');
        if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) return { ok: false, error: 'private-address' };
        const answer = await request(req.url, {
          dispatcher: agent,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': userAgent,
            'webhook-id': req.id,
            'webhook-timestamp': String(req.timestamp),
            'webhook-signature': webhookSignature(req.id, req.timestamp, req.body, req.secrets),
          },
          body: req.body,
        });
        await answer.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
        if (answer.statusCode >= 200 && answer.statusCode < 300) return { ok: true };
        const error = answer.statusCode >= 300 && answer.statusCode < 400 ? `redirect ${answer.statusCode} (not followed)` : `http ${answer.statusCode}`;
        const wait = answer.statusCode === 429 || answer.statusCode === 503 ? retryAfterMs(answer.headers['retry-after']) : undefined;
        return wait === undefined ? { ok: false, error } : { ok: false, error, retryAfterMs: wait };
      } catch (err) {
        return { ok: false, error: failureClass(err) };
      }
    },
    async close() {
      await agent.close();
    },
  };
}
