import type { Bus } from '../ports/bus.js';
import type { Logger } from '../ports/runtime.js';
import type { DeliverableMessage } from '../types.js';
import type { PresenceLookup } from '../ports/presence.js';

/** This node's own connections. */
export interface LocalClients {
  /** Hands the messages to the client's connection here; false if it is not connected here. */
  offer(clientId: string, messages: readonly DeliverableMessage[]): boolean;
  isOnline(clientId: string): boolean;
}

/**
 * Routes committed messages to wherever their client is connected: this node directly,
 * another node over the bus. Best effort by design: the store holds every message, and a
 * client that misses a live delivery gets it on resume.
 */
export class Router implements PresenceLookup {
  constructor(
    private readonly local: LocalClients,
    private readonly bus: Bus,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  route(clientId: string, messages: DeliverableMessage[]): void {
    if (this.local.offer(clientId, messages)) return;
    this.bus
      .locate(clientId)
      .then((nodeId) => (nodeId && nodeId !== this.nodeId ? this.bus.publish(nodeId, { clientId, messages }) : undefined))
      .catch((err: unknown) => this.logger.warn({ err: String(err), clientId }, 'bus routing failed; delivery waits for resume'));
  }

  async isOnline(clientId: string): Promise<boolean> {
    if (this.local.isOnline(clientId)) return true;
    return (await this.bus.locate(clientId)) !== undefined;
  }
}
