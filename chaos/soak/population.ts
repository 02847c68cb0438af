/**
 * The soak's clients: a population of SDK clients that connect, receive and ack, with a
 * steady churn throughout. Some leave for a few seconds and come back with their saved session
 * (their messages wait in the store meanwhile), some leave for good once they have everything
 * they were sent (and a new client joins in their place). Records, per client identity, the ids
 * handed to the application, and the publish-to-callback latency of the messages published
 * while the receiving instance was connected (an offline client's wait is its absence).
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { SavedSession, SealPushClient } from '../../src/client/node.js';
import { connectRecorded } from '../lib/clients.js';
import { jittered } from '../lib/jitter.js';

export interface PopulationOptions {
  readonly url: string;
  readonly appId: string;
  readonly serverKey: string;
  readonly clients: number;
  /** Churn events per second across the population (a leave-and-resume or a leave-and-replace). */
  readonly churnPerSecond: number;
  /** Share of churn events in which the client leaves for good and a new one joins. */
  readonly replaceShare: number;
  /** How long a leaving client stays away before it resumes, ms (uniform in [0.5, 1.5] times). */
  readonly awayMs: number;
}

/** One client identity: its current SDK instance while connected, its saved session while away. */
export interface Member {
  readonly clientId: string;
  client: SealPushClient | undefined;
  /** When the current instance connected (ms); messages published after it are live. */
  connectedAt: number;
  /** No more messages for it: it is leaving for good. */
  retiring: boolean;
}

export interface ChurnCounts {
  resumed: number;
  replaced: number;
  joined: number;
  /** Connections the SDK lost and reopened by itself (not a churn event): a node-side close. */
  dropped: number;
}

/** Clients the population connects at once when it starts. */
const CONNECTING = 10;

export class Population {
  readonly members = new Map<string, Member>();
  /** Per client identity, the ids its SDK handed to the application, in order. */
  readonly received = new Map<string, string[]>();
  readonly churn: ChurnCounts = { resumed: 0, replaced: 0, joined: 0, dropped: 0 };
  /** Client 'error' events (refused messages, reported closes), by message. */
  readonly errors: string[] = [];
  delivered = 0;
  #latenciesMs: number[] = [];
  #stopping = false;
  #churning: Promise<void> | undefined;
  readonly #away = new Set<Promise<void>>();

  constructor(
    private readonly options: PopulationOptions,
    /** Whether every message accepted for `clientId` has reached it (a leaving client waits for it). */
    private readonly caughtUp: (clientId: string, received: number) => boolean,
  ) {}

  /** Connects the whole population, then starts the churn. */
  async start(): Promise<void> {
    for (let i = 0; i < this.options.clients; i += CONNECTING) {
      await Promise.all(Array.from({ length: Math.min(CONNECTING, this.options.clients - i) }, () => this.#join()));
    }
    this.#churning = this.#churnLoop();
  }

  /** Members a publisher may send to now (not leaving for good). */
  targets(): Member[] {
    return [...this.members.values()].filter((m) => !m.retiring);
  }

  /** The latencies recorded since the last call, ms. */
  takeLatencies(): number[] {
    const taken = this.#latenciesMs;
    this.#latenciesMs = [];
    return taken;
  }

  /** Stops the churn and brings every away client back; resolves once all are connected. */
  async settle(): Promise<void> {
    this.#stopping = true;
    await this.#churning;
    await Promise.all(this.#away);
  }

  /** Closes every client: each sends its last ACK first. */
  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.client?.close()));
  }

  async #connect(member: Pick<Member, 'clientId'> | undefined, session?: SavedSession): Promise<Member> {
    const attempts = 20;
    const { client } = await connectRecorded(this.options, this.received, session, attempts).catch((err: Error) => {
      throw new Error(`${member?.clientId ?? 'a new client'} could not connect in ${attempts} attempts: ${err.message}`);
    });
    const current: Member = this.members.get(client.clientId) ?? { clientId: client.clientId, client, connectedAt: 0, retiring: false };
    current.client = client;
    current.connectedAt = Date.now();
    this.members.set(client.clientId, current);
    client.on('message', (m) => {
      this.delivered++;
      const sentAt = (m.data as { t?: unknown }).t;
      if (typeof sentAt === 'number' && sentAt >= current.connectedAt) this.#latenciesMs.push(Date.now() - sentAt);
    });
    client.on('error', (err) => this.errors.push(`${err.code}: ${err.message}`));
    client.on('disconnected', (d) => {
      if (d.willReconnect) this.churn.dropped++;
    });
    return current;
  }

  async #join(): Promise<void> {
    await this.#connect(undefined);
  }

  async #churnLoop(): Promise<void> {
    while (!this.#stopping) {
      await pause(jittered(1000 / this.options.churnPerSecond));
      if (this.#stopping) return;
      const candidates = [...this.members.values()].filter((m) => m.client !== undefined && !m.retiring);
      const member = candidates[Math.floor(Math.random() * candidates.length)];
      if (member === undefined) continue;
      // A client that cannot come back is one of the run's client errors, not the end of the run.
      const leaving = (Math.random() < this.options.replaceShare ? this.#replace(member) : this.#leaveAndResume(member)).catch((err: Error) => {
        this.errors.push(`churn: ${err.message}`);
      });
      this.#away.add(leaving);
      void leaving.finally(() => this.#away.delete(leaving));
    }
  }

  /** Closes (its ACK sent), stays away, and a new SDK instance resumes its saved session. */
  async #leaveAndResume(member: Member): Promise<void> {
    const client = member.client!;
    member.client = undefined;
    await client.close();
    const session = client.session();
    await pause(jittered(this.options.awayMs));
    await this.#connect(member, session);
    this.churn.resumed++;
  }

  /** Leaves for good once it has every message it was sent; a new client joins in its place. */
  async #replace(member: Member): Promise<void> {
    member.retiring = true;
    const deadline = Date.now() + 120_000;
    while (!this.caughtUp(member.clientId, this.received.get(member.clientId)!.length) && Date.now() < deadline) await pause(100);
    const client = member.client!;
    member.client = undefined;
    await client.close();
    this.churn.replaced++;
    await this.#join();
    this.churn.joined++;
  }
}
