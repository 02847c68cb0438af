/**
 * A real HTTPS webhook receiver for the tests, under a private CA made with openssl (the
 * server trusts it through NODE_EXTRA_CA_CERTS, as docs/webhooks.md says). It verifies each
 * request with the `standardwebhooks` library (what an integrator would use), records what it
 * accepted, and can be told to fail: answer 500, hang past the sender's timeout, or be down
 * (connection refused).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

/** The private CA and a certificate for 127.0.0.1 and localhost it signed. */
export interface TestPki {
  readonly dir: string;
  /** The CA certificate (PEM): NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sealpush-pki-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=sealpush test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-keyout', at('ca.key'), '-out', at('ca.pem'));
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('leaf.key'), '-out', at('leaf.csr'));
  writeFileSync(at('leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', at('leaf.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2',
    '-extfile', at('leaf.ext'), '-out', at('leaf.pem'));
  return {
    dir,
    caFile: at('ca.pem'),
    cert: readFileSync(at('leaf.pem')),
    key: readFileSync(at('leaf.key')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: number;
  readonly signatures: string[];
  readonly body: string;
  readonly payload: { type: string; timestamp: string; data: Record<string, unknown>; receipt?: unknown; events?: unknown[] };
}

export type ReceiverMode = 'ok' | 'fail' | 'hang' | 'redirect';

export class WebhookReceiver {
  /** Every request that verified and was answered 2xx, in arrival order (duplicates included). */
  readonly accepted: ReceivedWebhook[] = [];
  /** Requests answered otherwise (mode fail), or whose signature did not verify. */
  refused = 0;
  unverified = 0;
  /** Requests left hanging (mode hang). */
  hung = 0;
  /** TCP connections made to it, whatever came of them. */
  connections = 0;
  /** Where mode redirect sends requests (302). */
  redirectTo = 'https://127.0.0.1:9/elsewhere';
  mode: ReceiverMode = 'ok';
  #server: Server | undefined;
  #port = 0;
  #secrets: string[] = [];

  constructor(private readonly pki: TestPki) {}

  get url(): string {
    return `https://127.0.0.1:${this.#port}/hooks`;
  }

  /** The secrets a request may verify under (a rotation's overlap: either). */
  trust(...secrets: string[]): void {
    this.#secrets = secrets;
  }

  async start(port = 0): Promise<void> {
    const server = createServer({ cert: this.pki.cert, key: this.pki.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.mode === 'hang') {
          this.hung++;
          return; // never answers: the sender's timeout ends it
        }
        if (this.mode === 'redirect') {
          this.refused++;
          res.writeHead(302, { location: this.redirectTo }).end();
          return;
        }
        if (this.mode === 'fail') {
          this.refused++;
          res.writeHead(500).end('no');
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const verified = this.#secrets.some((secret) => {
          try {
            new Webhook(secret).verify(body, headers);
            return true;
          } catch {
            return false;
          }
        });
        if (!verified) {
          this.unverified++;
          res.writeHead(401).end();
          return;
        }
        this.accepted.push({
          id: headers['webhook-id']!,
          timestamp: Number(headers['webhook-timestamp']),
          signatures: headers['webhook-signature']!.split(' '),
          body,
          payload: JSON.parse(body),
        });
        res.writeHead(204).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Down: the port refuses connections until start(samePort) again. */
  async stop(): Promise<number> {
    const port = this.#port;
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return port;
  }

  /** The events accepted, batches unpacked, each once per webhook-id (the receiver's dedup), in arrival order. */
  events(): { id: string; type: string; data: Record<string, unknown>; receipt?: unknown }[] {
    const seen = new Set<string>();
    const out: { id: string; type: string; data: Record<string, unknown>; receipt?: unknown }[] = [];
    for (const r of this.accepted) {
      // A batch's events each carry their own id; a single event's id is the request's.
      const list = r.payload.type === 'batch' ? (r.payload.events as (ReceivedWebhook['payload'] & { id: string })[]) : [{ ...r.payload, id: r.id }];
      for (const e of list) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        out.push({ id: e.id, type: e.type, data: e.data, ...(e.receipt === undefined ? {} : { receipt: e.receipt }) });
      }
    }
    return out;
  }
}
