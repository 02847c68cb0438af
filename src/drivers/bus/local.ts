/**
 * Bus for one process: every "node" lives in this process, so routing is a Map lookup.
 *
 * `publish` calls the handler synchronously, before its promise resolves: envelopes to one
 * node therefore arrive in publish order, and a handler must not block (it should queue
 * the work, as the router's handler does). A handler that throws is logged and does not fail the
 * publisher: the messages are already committed and reach the client on catch-up.
 * An envelope for a node with no handler is dropped, as the port allows.
 */
import type { Bus, BusEnvelope } from '../../domain/ports/bus.js';
import type { Logger } from '../../domain/ports/runtime.js';

export type BusHandler = (envelope: BusEnvelope) => void;

export interface LocalBusOptions {
  readonly logger?: Logger;
}

export class LocalBus implements Bus {
  readonly #handlers = new Map<string, BusHandler>();
  /** clientId -> nodeId. */
  readonly #presence = new Map<string, string>();
  readonly #logger: Logger | undefined;

  constructor(options: LocalBusOptions = {}) {
    this.#logger = options.logger;
  }

  async publish(nodeId: string, envelope: BusEnvelope): Promise<void> {
    const handler = this.#handlers.get(nodeId);
    if (handler === undefined) return;
    try {
      handler(envelope);
    } catch (err) {
      this.#logger?.error({ err, nodeId, clientId: envelope.clientId }, 'bus handler threw; envelope dropped');
    }
  }

  /** One handler per node: subscribing a node that has one is a wiring bug, and throws. */
  subscribe(nodeId: string, handler: BusHandler): () => void {
    if (this.#handlers.has(nodeId)) throw new Error(`LocalBus: node ${nodeId} already has a handler`);
    this.#handlers.set(nodeId, handler);
    return () => {
      if (this.#handlers.get(nodeId) === handler) this.#handlers.delete(nodeId);
    };
  }

  async setPresence(clientId: string, nodeId: string): Promise<void> {
    this.#presence.set(clientId, nodeId);
  }

  async clearPresence(clientId: string, nodeId: string): Promise<void> {
    if (this.#presence.get(clientId) === nodeId) this.#presence.delete(clientId);
  }

  async locate(clientId: string): Promise<string | undefined> {
    return this.#presence.get(clientId);
  }

  /** Drops every handler and all presence; later publishes are dropped too. */
  async close(): Promise<void> {
    this.#handlers.clear();
    this.#presence.clear();
  }
}
