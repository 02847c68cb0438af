/**
 * Bus on Redis, for many nodes: routing by pub/sub on one channel per node, presence as one
 * key per client. Why pub/sub and not streams, and what is lost when: docs/deploy.md, "Redis:
 * nonces, presence, routing". In short: a node's id is new on every start, so nobody would
 * ever read a stream kept for a node that restarted; what pub/sub drops is in the store, which
 * the client reads on resume.
 *
 *   presence  `<prefix>presence:<clientId>` = nodeId, PX presenceTtlMs. The holding node
 *             refreshes its keys every refreshMs (a third of the ttl), so a node that dies
 *             stops refreshing and its entries vanish within one ttl. Clear and refresh are
 *             Lua scripts: they act only while the key still names this node (atomic, so a
 *             client that moved meanwhile keeps its new presence).
 *   routing   PUBLISH `<prefix>node:<nodeId>` <sealed envelope>, on the command connection;
 *             a separate subscriber connection (ioredis: a subscribed connection runs no other
 *             command) receives this node's channel and re-subscribes after a reconnect.
 *
 * Envelopes are sealed (createBusEnvelopeCipher: AES-256-GCM under a key every node derives
 * from the payload key, aad = the channel), so Redis never holds message data in the clear
 * and nothing written to Redis by someone else is delivered. One that fails to open or decode
 * is logged and dropped. Commands fail fast with ERR_UNAVAILABLE (connection.ts).
 */
import type { Redis } from 'ioredis';
import type { Bus, BusEnvelope } from '../../domain/ports/bus.js';
import type { PayloadCipher } from '../../domain/ports/payload-cipher.js';
import type { Logger } from '../../domain/ports/runtime.js';
import type { DeliverableMessage } from '../../domain/types.js';
import { redisCall } from './connection.js';
import { errorMessage } from '../../domain/errors.js';

export type BusHandler = (envelope: BusEnvelope) => void;

export interface RedisBusOptions {
  /** The command connection (shared with the nonce cache). */
  readonly commands: Redis;
  /** A connection of its own, used for SUBSCRIBE only. */
  readonly subscriber: Redis;
  /** Seals envelopes on the wire (createBusEnvelopeCipher); the same key on every node. */
  readonly cipher: PayloadCipher;
  /** Prepended to every key and channel. Default `sealpush:`. */
  readonly keyPrefix?: string;
  /** How long a presence lives unless its node refreshes it. Default 30_000 ms. */
  readonly presenceTtlMs?: number;
  /** How often this node refreshes the presences it holds. Default a third of the ttl. */
  readonly refreshMs?: number;
  readonly logger?: Logger;
}

/** KEYS[1] presence key; ARGV[1] node id. Deletes the key only while it names that node. */
const CLEAR_IF_HOLDER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * KEYS[1] presence key; ARGV[1] node id, ARGV[2] ttl ms. Extends the key while it names that
 * node, sets it again if it is gone (Redis restarted empty), leaves another node's alone.
 * Returns 1 while the node still holds the client, 0 once another node does.
 */
const REFRESH_IF_HOLDER = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

interface PresenceScripts {
  sealpushClearPresence(key: string, nodeId: string): Promise<number>;
  sealpushRefreshPresence(key: string, nodeId: string, ttlMs: number): Promise<number>;
}

export class RedisBus implements Bus {
  readonly #commands: Redis & PresenceScripts;
  readonly #subscriber: Redis;
  readonly #cipher: PayloadCipher;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #logger: Logger | undefined;
  /** channel -> [nodeId, handler]. */
  readonly #handlers = new Map<string, [string, BusHandler]>();
  /** SUBSCRIBE commands not yet answered. */
  readonly #pendingSubscribes = new Set<Promise<unknown>>();
  /** clientId -> nodeId, for each presence this driver set and refreshes. */
  readonly #held = new Map<string, string>();
  readonly #timer: NodeJS.Timeout;
  #refreshing = false;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#commands = options.commands as Redis & PresenceScripts;
    this.#subscriber = options.subscriber;
    this.#cipher = options.cipher;
    this.#prefix = options.keyPrefix ?? 'sealpush:';
    this.#ttlMs = options.presenceTtlMs ?? 30_000;
    this.#logger = options.logger;
    if (!Number.isSafeInteger(this.#ttlMs) || this.#ttlMs < 100) throw new RangeError(`RedisBus: presenceTtlMs must be an integer >= 100, got ${this.#ttlMs}`);
    const refreshMs = options.refreshMs ?? Math.floor(this.#ttlMs / 3);
    if (!(refreshMs > 0 && refreshMs < this.#ttlMs)) throw new RangeError(`RedisBus: refreshMs must be between 0 and presenceTtlMs, got ${refreshMs}`);
    // defineCommand runs EVALSHA and loads the script again after NOSCRIPT (a restarted Redis).
    this.#commands.defineCommand('sealpushClearPresence', { numberOfKeys: 1, lua: CLEAR_IF_HOLDER });
    this.#commands.defineCommand('sealpushRefreshPresence', { numberOfKeys: 1, lua: REFRESH_IF_HOLDER });
    this.#subscriber.on('messageBuffer', this.#onMessage);
    // After a reconnect at once: a Redis that restarted empty has lost every presence.
    this.#commands.on('ready', this.#onReconnect);
    this.#timer = setInterval(() => void this.refreshPresence(), refreshMs);
    this.#timer.unref();
  }

  async publish(nodeId: string, envelope: BusEnvelope): Promise<void> {
    const channel = this.#channel(nodeId);
    const sealed = this.#cipher.seal(encodeEnvelope(envelope), Buffer.from(channel, 'utf8'));
    await redisCall('publish', () => this.#commands.publish(channel, Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)));
  }

  /** One handler per node, as LocalBus. Active once `subscriptionsReady()` resolves. */
  subscribe(nodeId: string, handler: BusHandler): () => void {
    const channel = this.#channel(nodeId);
    if (this.#handlers.has(channel)) throw new Error(`RedisBus: node ${nodeId} already has a handler`);
    const entry: [string, BusHandler] = [nodeId, handler];
    this.#handlers.set(channel, entry);
    this.#track(this.#subscriber.subscribe(channel), `subscribe ${nodeId}`);
    return () => {
      if (this.#handlers.get(channel) !== entry) return;
      this.#handlers.delete(channel);
      this.#track(this.#subscriber.unsubscribe(channel), `unsubscribe ${nodeId}`);
    };
  }

  /** Resolves once Redis has confirmed every subscription made so far (a node listens after this). */
  async subscriptionsReady(): Promise<void> {
    await Promise.all(this.#pendingSubscribes);
  }

  async setPresence(clientId: string, nodeId: string): Promise<void> {
    this.#held.set(clientId, nodeId);
    await redisCall('set presence', () => this.#commands.set(this.#presenceKey(clientId), nodeId, 'PX', this.#ttlMs));
  }

  async clearPresence(clientId: string, nodeId: string): Promise<void> {
    if (this.#held.get(clientId) === nodeId) this.#held.delete(clientId);
    await redisCall('clear presence', () => this.#commands.sealpushClearPresence(this.#presenceKey(clientId), nodeId));
  }

  async locate(clientId: string): Promise<string | undefined> {
    const nodeId = await redisCall('locate', () => this.#commands.get(this.#presenceKey(clientId)));
    return nodeId ?? undefined;
  }

  /**
   * Extends every presence this node holds, in one pipeline; forgets those another node took.
   * Runs on the timer; public for tests. A failure (Redis down) is logged and retried on the
   * next tick: the keys survive a blip shorter than the ttl, and are set again after a longer one.
   */
  async refreshPresence(): Promise<void> {
    if (this.#refreshing || this.#closed || this.#held.size === 0) return;
    this.#refreshing = true;
    try {
      const held = [...this.#held];
      const pipeline = this.#commands.pipeline() as unknown as { exec(): Promise<[Error | null, unknown][] | null> } & PresenceScripts;
      for (const [clientId, nodeId] of held) void pipeline.sealpushRefreshPresence(this.#presenceKey(clientId), nodeId, this.#ttlMs);
      const replies = (await redisCall('refresh presence', () => pipeline.exec())) ?? [];
      replies.forEach(([err, held1], i) => {
        const [clientId, nodeId] = held[i]!;
        if (err === null && held1 === 0 && this.#held.get(clientId) === nodeId) this.#held.delete(clientId);
      });
    } catch (err) {
      this.#logger?.warn({ err: errorMessage(err), clients: this.#held.size }, 'presence refresh failed; retrying');
    } finally {
      this.#refreshing = false;
    }
  }

  /** Resolves when both connections can serve; rejects with ERR_UNAVAILABLE otherwise. */
  async ping(): Promise<void> {
    await redisCall('ping', async () => {
      if (this.#subscriber.status !== 'ready') throw new Error(`subscriber connection is ${this.#subscriber.status}`);
      await this.#commands.ping();
    });
  }

  /**
   * Stops refreshing and drops every handler. Presence is left to expire, as after a crash:
   * LiveClients clears each client's presence as its connection closes. The connections
   * belong to whoever opened them.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#subscriber.off('messageBuffer', this.#onMessage);
    this.#commands.off('ready', this.#onReconnect);
    this.#handlers.clear();
    this.#held.clear();
  }

  readonly #onReconnect = (): void => void this.refreshPresence();

  readonly #onMessage = (channelBytes: Buffer, message: Buffer): void => {
    const channel = channelBytes.toString('utf8');
    const entry = this.#handlers.get(channel);
    if (entry === undefined) return;
    let envelope: BusEnvelope;
    try {
      envelope = decodeEnvelope(this.#cipher.open(message, channelBytes));
    } catch {
      this.#logger?.warn({ nodeId: entry[0], bytes: message.length }, 'bus envelope failed to open or decode; dropped');
      return;
    }
    try {
      entry[1](envelope);
    } catch (err) {
      this.#logger?.error({ err, nodeId: entry[0], clientId: envelope.clientId }, 'bus handler threw; envelope dropped');
    }
  };

  #track(pending: Promise<unknown>, what: string): void {
    const tracked = pending.catch((err: unknown) => {
      this.#logger?.warn({ err: errorMessage(err) }, `redis ${what} failed`);
    });
    this.#pendingSubscribes.add(tracked);
    void tracked.finally(() => this.#pendingSubscribes.delete(tracked));
  }

  #channel(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}`;
  }

  #presenceKey(clientId: string): string {
    return `${this.#prefix}presence:${clientId}`;
  }
}

/** `{"c": clientId, "m": [[seq, id, createdAt, base64(data)], ...]}` as UTF-8, before sealing. */
function encodeEnvelope(envelope: BusEnvelope): Uint8Array {
  const m = envelope.messages.map((msg) => [msg.seq, msg.id, msg.createdAt, Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).toString('base64')]);
  return Buffer.from(JSON.stringify({ c: envelope.clientId, m }), 'utf8');
}

function decodeEnvelope(bytes: Uint8Array): BusEnvelope {
  const parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as { c?: unknown; m?: unknown };
  if (typeof parsed.c !== 'string' || !Array.isArray(parsed.m)) throw new Error('not an envelope');
  const messages = parsed.m.map((item: unknown): DeliverableMessage => {
    if (!Array.isArray(item) || item.length !== 4) throw new Error('not a message');
    const [seq, id, createdAt, data] = item as unknown[];
    if (!Number.isSafeInteger(seq) || typeof id !== 'string' || !Number.isSafeInteger(createdAt) || typeof data !== 'string') throw new Error('not a message');
    return { seq: seq as number, id, createdAt: createdAt as number, data: new Uint8Array(Buffer.from(data, 'base64')) };
  });
  return { clientId: parsed.c, messages };
}
