/**
 * How long an HTTP request may take and how many TCP connections one peer may hold open: a
 * peer that trickles its headers or body, or keeps idle connections, holds them only this
 * long and only this many. Each a named option with its default (config `limits`).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { AddressCounts } from '../address-counts.js';

export interface HttpConnectionLimits {
  /**
   * Time a whole request (headers and body) may take to arrive; past it the server answers
   * 400 ERR_BAD_REQUEST ("not received in time") and closes the connection. A 4 MiB body
   * (bodyLimitBytes) needs about 1.2 Mbit/s to arrive in time. Default 30000 ms.
   */
  readonly httpRequestTimeoutMs: number;
  /** Time the request line and headers may take; at most httpRequestTimeoutMs. Default 10000 ms. */
  readonly httpHeadersTimeoutMs: number;
  /**
   * An idle keep-alive connection (between requests) is closed after this long. Above the
   * 60 s idle timeout of common load balancers and of nginx's upstream keepalive, so the node
   * never closes a connection the balancer is about to reuse. Default 65000 ms.
   */
  readonly httpKeepAliveTimeoutMs: number;
  /**
   * Open TCP connections from one peer address, counted when a connection is accepted (the
   * peer address is all there is to know then), WebSocket ones included (they ride HTTP
   * connections). Past it a new connection is destroyed at once, before TLS or any parsing.
   * Not applied with `trustProxy`: every connection then comes from the proxy, which limits
   * its clients itself (docs/deploy.md). Default 1200 (maxConnectionsPerIp plus room for REST).
   */
  readonly maxHttpConnectionsPerIp: number;
}

export const DEFAULT_HTTP_CONNECTION_LIMITS: HttpConnectionLimits = {
  httpRequestTimeoutMs: 30_000,
  httpHeadersTimeoutMs: 10_000,
  httpKeepAliveTimeoutMs: 65_000,
  maxHttpConnectionsPerIp: 1200,
};

/**
 * node:http options that enforce the timeouts. node:http checks pending requests against
 * them every `connectionsCheckingInterval` (30 s by default, which would let a trickle last
 * twice its timeout): here a quarter of the shorter timeout, at most one second.
 * Upgraded connections (WebSockets) leave node:http's tracking, so these never cut them.
 */
export function httpServerTimeouts(limits: HttpConnectionLimits): {
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  const shortest = Math.min(limits.httpHeadersTimeoutMs, limits.httpRequestTimeoutMs);
  return {
    requestTimeout: limits.httpRequestTimeoutMs,
    headersTimeout: limits.httpHeadersTimeoutMs,
    keepAliveTimeout: limits.httpKeepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
  };
}

/**
 * Caps the open TCP connections of each peer address on `server` (see maxHttpConnectionsPerIp):
 * the one past the cap is destroyed as soon as it is accepted, having cost no TLS handshake
 * and no parsing.
 */
export function capConnectionsPerPeer(server: Server, maxPerPeer: number): void {
  const open = new AddressCounts(maxPerPeer);
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    if (!open.acquire(peer)) {
      socket.destroy();
      return;
    }
    socket.once('close', () => open.release(peer));
  });
}
