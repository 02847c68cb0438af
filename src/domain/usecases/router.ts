import type { Bus } from '../ports/bus.js';
import type { Logger } from '../ports/runtime.js';
import type { DeliverableMessage } from '../types.js';
import type { PresenceLookup } from '../ports/presence.js';
import type { LiveClients } from './live-clients.js';

/**
 * Routes committed messages to wherever their client is connected: this node's live clients
 * directly, another node over the bus; and hands this node's bus envelopes to its live
 * clients. Best effort by design: the store holds every message, and a client that misses a
 * live delivery gets it on resume (or on the periodic catch-up).
 */
export class Router implements PresenceLookup {
  constructor(
    private readonly local: Pick<LiveClients, 'offer' | 'isOnline'>,
    private readonly bus: Bus,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {
    bus.subscribe(nodeId, (envelope) => local.offer(envelope.clientId, envelope.messages));
  }

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
