/**
 * Baseline 1: a bare `ws` server. A client connects to `/v1/ws?id=<its id>`; the server
 * keeps a Map id -> socket and sends each published message as one text frame
 * `{"id","data","createdAt"}`. Pings every 25 s drop dead sockets (the `ws` README's
 * pattern), as sealpush's heartbeat does. Prints `{"url","pid"}` on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { publishHandler } from './baseline-http.js';
import { announce, stopWhenAsked } from './lifecycle.js';

const sockets = new Map<string, WebSocket>();
const alive = new WeakSet<WebSocket>();

const server = createServer(
  publishHandler((to, message) => {
    const ws = sockets.get(to);
    if (ws === undefined) return false;
    ws.send(JSON.stringify(message));
    return true;
  }),
);
server.keepAliveTimeout = 60_000;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const id = url.searchParams.get('id');
  if (url.pathname !== '/v1/ws' || !id) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.get(id)?.close(4001, 'replaced');
    sockets.set(id, ws);
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (sockets.get(id) === ws) sockets.delete(id);
    });
  });
});

const pinger = setInterval(() => {
  for (const ws of sockets.values()) {
    if (!alive.has(ws)) {
      ws.terminate();
      continue;
    }
    alive.delete(ws);
    ws.ping();
  }
}, 25_000);
pinger.unref();

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  announce({ url: `http://127.0.0.1:${port}`, pid: process.pid });
});

stopWhenAsked(async () => {
  clearInterval(pinger);
  for (const ws of sockets.values()) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
