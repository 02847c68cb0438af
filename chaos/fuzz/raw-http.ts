/**
 * One HTTP/1.1 request as raw bytes on its own TCP connection, so that the fuzzer can send
 * what no HTTP client would: a Content-Length that lies, a path with bytes outside ASCII, an
 * unknown method. The connection is kept alive from the server's side (a server that closes
 * with a body still unread resets the connection, and the reset can destroy the answer in
 * flight: real clients keep connections alive); the fuzzer closes it once the answer is complete.
 */
import { connect } from 'node:net';
import type { HttpAnswer } from './oracle.js';

export interface RawRequest {
  readonly method: string;
  /** Path and query as they go on the request line (may hold any byte but CR and LF). */
  readonly target: Uint8Array;
  /** Header lines, name and value; Host and Connection are added. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/** Bytes of an answer read at most; the rest is not needed to judge it. */
const MAX_ANSWER_BYTES = 1 << 20;

export function encodeRequest(request: RawRequest, host: string): Buffer {
  const head = request.headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return Buffer.concat([
    Buffer.from(`${request.method} `, 'latin1'),
    request.target,
    Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\n${head}\r\n`, 'latin1'),
    request.body,
  ]);
}

/**
 * Sends `request` to `url`'s host and port; `timeoutMs` without the answer completing is a
 * timeout. `halfClose` ends the sending side after the bytes, for a request cut short of its
 * Content-Length (node:http aborts the requests of a connection its peer half-closed, so no
 * other request does: no HTTP client does it either).
 */
export function sendRaw(url: URL, request: RawRequest, timeoutMs: number, halfClose = false): Promise<HttpAnswer> {
  const bytes = encodeRequest(request, url.host);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (answer: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    // Sent: written to the kernel with no error; a reset after that still means the server cut the request short.
    let sent = false;
    const onSent = (err?: Error | null): void => void (sent = !err);
    socket.on('connect', () => (halfClose ? socket.end(bytes, onSent) : socket.write(bytes, onSent)));
    socket.on('data', (chunk: Buffer) => {
      if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
      size += chunk.length;
      if (answerComplete(Buffer.concat(chunks), request.method === 'HEAD') || size >= MAX_ANSWER_BYTES) {
        settle(parseAnswer(Buffer.concat(chunks), request.method === 'HEAD'));
      }
    });
    socket.on('error', () => void (sent = false));
    socket.on('close', () => {
      const answer = parseAnswer(Buffer.concat(chunks), request.method === 'HEAD');
      settle(answer.kind === 'closed' ? { kind: 'closed', whileSending: !sent } : answer);
    });
  });
}

/** Whether `raw` holds a whole answer: its head, and as much body as it announced. */
function answerComplete(raw: Buffer, head: boolean): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const headers = raw.subarray(0, end).toString('latin1').toLowerCase();
  if (head || /^http\/1\.[01] (1\d\d|204|304)/.test(headers)) return true;
  const length = /\r\ncontent-length: *(\d+)/.exec(headers);
  if (length) return raw.length - end - 4 >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/.test(headers)) return raw.subarray(raw.length - 5).toString('latin1') === '0\r\n\r\n';
  return false;
}

/** The status and body of a raw answer (body de-chunked); `closed` when no status line came. */
export function parseAnswer(raw: Buffer, head: boolean): HttpAnswer {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw.subarray(0, 16).toString('latin1'));
  if (!status) return { kind: 'closed' };
  const end = raw.indexOf('\r\n\r\n');
  const headers = end < 0 ? '' : raw.subarray(0, end).toString('latin1').toLowerCase();
  let body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(headers);
  if (length) body = body.subarray(0, Number(length[1]));
  else if (/\r\ntransfer-encoding: *chunked/.test(headers)) body = dechunk(body);
  return { kind: 'response', status: Number(status[1]), body: body.toString('utf8'), head };
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
