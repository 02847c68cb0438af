/**
 * The three faults of the engines-redis scenario, each made on the running cluster and
 * recorded as a FaultRecord (verdict.ts): what the nodes answered meanwhile, what a replayed
 * request got after it, and how long the cluster took to deliver through every node again.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { MEMORY_SLACK_MS } from '../../src/drivers/redis/nonces.js';
import type { ChaosNode } from '../lib/node.js';
import type { RedisCluster } from './cluster.js';
import type { ProbeClient } from './probe-client.js';
import { count, hello, readyz, send, signPublish, type AnswerCounts } from './probes.js';
import type { FaultKind, FaultRecord } from './verdict.js';

export interface FaultTimings {
  /** How long Redis stays down when it is restarted, ms. */
  readonly outageMs: number;
  /** How long a node stays SIGSTOPped: longer than the presence ttl (30 s, src/drivers/redis/bus.ts). */
  readonly pauseMs: number;
  /** How long the cluster gets to deliver through every node again after a fault, ms. */
  readonly recoverWithinMs: number;
}

/** `/readyz` may take a second to notice that Redis went away (docs/deploy.md, "Failures"). */
const READYZ_NOTICES_MS = 1500;

export class FaultMaker {
  constructor(
    private readonly cluster: RedisCluster,
    private readonly probe: ProbeClient,
    /** A client that never connects again: the replayed requests' messages wait for it. */
    private readonly replayTarget: string,
    private readonly timings: FaultTimings,
  ) {}

  async make(fault: FaultKind): Promise<FaultRecord> {
    const { nodes, app } = this.cluster;
    const captured = await signPublish(app, { to: this.replayTarget, data: { replay: fault } });
    const before = await send(nodes[0]!.url, captured);
    await pause(MEMORY_SLACK_MS + 1000); // a request the nodes must remember through the fault (src/drivers/redis/nonces.ts)
    const during: AnswerCounts = {};
    const started = Date.now();
    let pausedReadyz: AnswerCounts[string] | undefined;
    let ended: number;
    let recoveredMs: number | null;
    if (fault === 'redis-restart') {
      await this.cluster.redis.kill();
      await pause(READYZ_NOTICES_MS);
      await this.#probe(during, nodes, started + this.timings.outageMs);
      await this.cluster.redis.start();
      ended = Date.now();
      recoveredMs = await this.#recovery(ended);
    } else if (fault === 'redis-flushall') {
      await this.cluster.flushRedis();
      ended = Date.now();
      recoveredMs = await this.#recovery(ended);
      await this.#probe(during, nodes, 0); // one round, on the emptied Redis
    } else {
      const paused = nodes[nodes.length - 1]!;
      const pausedAnswers: AnswerCounts = {};
      paused.pause();
      await this.#probe(during, nodes.slice(0, -1), started + this.timings.pauseMs, async () => {
        count(pausedAnswers, 'readyz', await readyz(paused.url, 1000));
      });
      paused.resume();
      ended = Date.now();
      recoveredMs = await this.#recovery(ended);
      pausedReadyz = pausedAnswers.readyz ?? {};
    }
    const replays = before === '202' ? [await send(nodes[1]!.url, captured), await send(nodes[2]!.url, captured)] : [`not accepted before the fault: ${before}`];
    return { fault, durationMs: ended - started, during, ...(pausedReadyz && { pausedReadyz }), replays, recoveredMs };
  }

  /** Rounds of probes to each of `nodes` (a publish to the probe client, /readyz, a hello) until `deadline`; one round at least. */
  async #probe(during: AnswerCounts, nodes: readonly ChaosNode[], deadline: number, more?: () => Promise<void>): Promise<void> {
    do {
      for (const node of nodes) {
        count(during, 'publish', await this.probe.publishThrough(node.url));
        count(during, 'readyz', await readyz(node.url));
        count(during, 'hello', await hello(node.url, this.cluster.app.appId, this.cluster.serverKey));
      }
      await more?.();
      await pause(250);
    } while (Date.now() < deadline);
  }

  #recovery(since: number): Promise<number | null> {
    return this.probe.recovery(this.cluster.nodes.map((n) => n.url), since, since + this.timings.recoverWithinMs);
  }
}
