/** The WebSocket gateway's resource limits: each a named option with its default. */
export interface WsLimits {
  /** Largest frame the server seals for a client (bytes of plaintext). Default 1048576. */
  readonly maxFrameBytes: number;
  /** Largest WebSocket message a client may send (hello and ACK frames are tiny). Default 16384. */
  readonly maxClientMessageBytes: number;
  /** Most open connections; past it new ones are closed with ERR_TOO_MANY_CONNECTIONS. Default 100000. */
  readonly maxConnections: number;
  /**
   * Most open WebSocket connections from one client address (with `trustProxy`, the address
   * the proxy appended to X-Forwarded-For); past it the upgrade gets HTTP 503
   * ERR_TOO_MANY_CONNECTIONS before any handshake work. Per node: it protects this node's
   * slots (`maxConnections`). Default 1000.
   */
  readonly maxConnectionsPerIp: number;
  /**
   * Most connections in their handshake at once (upgraded, CONFIRM not yet taken); past it an
   * upgrade gets HTTP 503 ERR_UNAVAILABLE with Retry-After before any handshake work. In a
   * reconnect storm a node that started every handshake offered would finish few of them
   * within handshakeTimeoutMs and time the rest out, its work wasted; the ones it admits finish
   * and the rest come back after their backoff. Default 512.
   */
  readonly maxHandshakesInProgress: number;
  /** Time a new connection has to complete the handshake, up to the client's CONFIRM. Default 10000 ms. */
  readonly handshakeTimeoutMs: number;
  /** A connection that answers no ping for this long is dropped (ERR_IDLE_TIMEOUT). Default 60000 ms. */
  readonly idleTimeoutMs: number;
  /** Interval of the server's pings and of HEARTBEAT frames on quiet connections. Default 25000 ms. */
  readonly heartbeatMs: number;
  /** Unsent bytes at which sending pauses (messages wait in the store). Default 1048576. */
  readonly sendHighWaterBytes: number;
  /** Time a paused connection has to drain before it is closed (ERR_SLOW_CONSUMER). Default 30000 ms. */
  readonly slowConsumerTimeoutMs: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  maxFrameBytes: 1_048_576,
  maxClientMessageBytes: 16_384,
  maxConnections: 100_000,
  maxConnectionsPerIp: 1000,
  maxHandshakesInProgress: 512,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  heartbeatMs: 25_000,
  sendHighWaterBytes: 1_048_576,
  slowConsumerTimeoutMs: 30_000,
};
