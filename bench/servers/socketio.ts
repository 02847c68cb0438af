/**
 * Baseline 2: Socket.IO with a room per client id, what most Node users write by hand. A
 * client connects (WebSocket transport only) at path `/v1/ws` with `query: { id }` and joins
 * the room of that id; each published message is one `io.to(id).emit('message', {id, data,
 * createdAt})`. Prints `{"url","pid"}` on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { publishHandler } from './baseline-http.js';
import { announce, stopWhenAsked } from './lifecycle.js';

let io: Server | null = null;
const server = createServer(
  publishHandler((to, message) => {
    if (io === null || !io.sockets.adapter.rooms.has(to)) return false;
    io.to(to).emit('message', message);
    return true;
  }),
);
server.keepAliveTimeout = 60_000;

io = new Server(server, { path: '/v1/ws', transports: ['websocket'], serveClient: false, perMessageDeflate: false });
io.on('connection', (socket) => {
  const id = socket.handshake.query.id;
  if (typeof id !== 'string' || id === '') {
    socket.disconnect(true);
    return;
  }
  void socket.join(id);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  announce({ url: `http://127.0.0.1:${port}`, pid: process.pid });
});

stopWhenAsked(async () => {
  await new Promise<void>((resolve) => io!.close(() => resolve()));
});
