/**
 * The publish endpoints of the two baselines, in the shape of sealpush's API so that no
 * side wins by its API: `POST /v1/messages {"to","data"}` and `POST /v1/messages/batch
 * {"messages":[{"to","data"}...]}`, answered 202 with `{id,status}` or `{results:[...]}`;
 * an unknown recipient is a 404 (single) or an error result (batch), as in sealpush.
 * What a competent Node developer writes by hand: no store, no auth, no crypto, no logging.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The frame a baseline sends per message: one WebSocket message each. */
export interface OutboundMessage {
  readonly id: string;
  readonly data: unknown;
  readonly createdAt: number;
}

/** Sends the message to the client's socket; false when no such client is connected. */
export type Deliver = (to: string, message: OutboundMessage) => boolean;

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const NOT_FOUND = { error: { code: 'ERR_NOT_FOUND', message: 'No such client' } };

export function publishHandler(deliver: Deliver): (req: IncomingMessage, res: ServerResponse) => void {
  const publishOne = (item: unknown): unknown => {
    const { to, data } = (item ?? {}) as { to?: unknown; data?: unknown };
    if (typeof to !== 'string' || data === undefined) return { error: { code: 'ERR_BAD_REQUEST', message: 'to and data are required' } };
    const id = randomUUID();
    return deliver(to, { id, data, createdAt: Date.now() }) ? { id, status: 'queued' } : NOT_FOUND;
  };

  return (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/healthz') return reply(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || (url !== '/v1/messages' && url !== '/v1/messages/batch')) {
      return reply(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'No such route' } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(res, 400, { error: { code: 'ERR_BAD_REQUEST', message: 'Body is not JSON' } });
      }
      if (url === '/v1/messages') {
        const result = publishOne(body);
        return reply(res, (result as { error?: { code: string } }).error ? (result === NOT_FOUND ? 404 : 400) : 202, result);
      }
      const messages = (body as { messages?: unknown }).messages;
      if (!Array.isArray(messages) || messages.length === 0 || messages.length > 1000) {
        return reply(res, 400, { error: { code: 'ERR_BAD_REQUEST', message: 'messages must hold 1 to 1000 messages' } });
      }
      reply(res, 202, { results: messages.map(publishOne) });
    });
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
