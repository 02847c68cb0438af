import type { DeliverableMessage } from '../types.js';

/** What travels between nodes: newly committed messages for one client. */
export interface BusEnvelope {
  readonly clientId: string;
  /** In seq order. A receiver treats any gap as a reason to read the store. */
  readonly messages: readonly DeliverableMessage[];
}

/**
 * Cross-node routing and presence.
 *
 * Contract: delivery through the bus is best effort; the store is the source of truth, and
 * whatever the bus drops reaches the client on resume or catch-up. Envelopes published to
 * one node arrive at its handler in publish order.
 */
export interface Bus {
  publish(nodeId: string, envelope: BusEnvelope): Promise<void>;
  /** Registers this node's handler; returns a function that removes it. */
  subscribe(nodeId: string, handler: (envelope: BusEnvelope) => void): () => void;
  /** Records that `nodeId` holds `clientId` now (replacing whichever node held it). */
  setPresence(clientId: string, nodeId: string): Promise<void>;
  /**
   * Records that `nodeId` no longer holds `clientId`, only if it is still the holder: a
   * client that moved to another node meanwhile keeps its new presence.
   */
  clearPresence(clientId: string, nodeId: string): Promise<void>;
  /** The node that holds `clientId`, if any is known. */
  locate(clientId: string): Promise<string | undefined>;
  close(): Promise<void>;
}
