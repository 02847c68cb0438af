/**
 * The client's side of the heartbeat: the server sends a frame at least every heartbeatMs (its
 * handshake payload says how often), so silence past twice that, plus slack for a slow link,
 * means a dead connection nobody closed. The watchdog then closes it with 4000, the client's
 * own "reconnect" close.
 */
import type { SocketLike } from './socket.js';

/** Slack on top of two heartbeat intervals, for a slow or congested link. */
const SLACK_MS = 5_000;

export class HeartbeatWatchdog {
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** (Re)starts the wait for the next frame on `socket`: call on every frame. */
  arm(socket: SocketLike, heartbeatMs: number): void {
    this.stop();
    this.timer = setTimeout(() => socket.close(4000, 'heartbeat timeout'), heartbeatMs * 2 + SLACK_MS);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
