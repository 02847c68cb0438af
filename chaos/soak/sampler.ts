/**
 * What the soak samples every few seconds: of the node process, its RSS (VmRSS), its open file
 * descriptors (/proc/<pid>/fd: sockets, the store's files, pipes) and, from its own `GET
 * /metrics` (docs/metrics.md), its WebSocket connections, libuv's active handles and the p99
 * of its event-loop delay (prom-client's `nodejs_eventloop_lag_p99_seconds`, a
 * monitorEventLoopDelay histogram that prom-client resets at each scrape: with the soak the only
 * scraper, each sample is the p99 of its own window) and its main thread's V8 heap in use; of the load, the publish-to-callback
 * latency p50/p99 and the accepted and delivered rates of the window; and the driver's own RSS,
 * so that a leak in the harness is told apart from one in the node.
 */
import { readdirSync } from 'node:fs';
import { rssBytes } from '../../bench/lib/proc.js';
import { percentileSorted } from '../../bench/lib/stats.js';

export type Phase = 'ramp' | 'steady' | 'drain';

export interface Sample {
  /** Seconds since the soak started. */
  readonly t: number;
  readonly phase: Phase;
  readonly rssMiB: number;
  /** The main thread's V8 heap in use (not the store's worker thread, nor SQLite's page cache). */
  readonly heapUsedMiB: number;
  readonly fds: number;
  readonly handles: number;
  readonly connections: number;
  readonly loopDelayP99Ms: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly acceptedPerSecond: number;
  readonly deliveredPerSecond: number;
  readonly driverRssMiB: number;
}

/** The load's running totals and its latencies since the last sample. */
export interface LoadCounters {
  accepted(): number;
  delivered(): number;
  takeLatencies(): number[];
}

const MIB = 1024 * 1024;

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The values of the unlabelled metrics named in `names`, from Prometheus text. */
export function readMetrics(text: string, names: readonly string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    if (name !== undefined && value !== undefined && names.includes(name)) found[name] = Number(value);
  }
  return found;
}

export interface NodeMetrics {
  readonly handles: number;
  readonly connections: number;
  readonly loopDelayP99Ms: number;
  readonly heapUsedMiB: number;
}

const NOT_SCRAPED: NodeMetrics = { handles: Number.NaN, connections: Number.NaN, loopDelayP99Ms: Number.NaN, heapUsedMiB: Number.NaN };

export async function scrapeNode(url: string): Promise<NodeMetrics> {
  const response = await fetch(`${url}/metrics`);
  const metrics = readMetrics(await response.text(), ['nodejs_active_handles_total', 'sealpush_connections', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']);
  return {
    heapUsedMiB: (metrics.nodejs_heap_size_used_bytes ?? Number.NaN) / MIB,
    handles: metrics.nodejs_active_handles_total ?? Number.NaN,
    connections: metrics.sealpush_connections ?? Number.NaN,
    loopDelayP99Ms: (metrics.nodejs_eventloop_lag_p99_seconds ?? Number.NaN) * 1000,
  };
}

export class Sampler {
  readonly samples: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last = { at: Date.now(), accepted: 0, delivered: 0 };
  #pending: Promise<void> = Promise.resolve();
  phase: Phase = 'ramp';

  constructor(
    private readonly node: { url: string; pid: number },
    private readonly load: LoadCounters,
    private readonly started: number,
    private readonly onSample: (sample: Sample) => void = () => undefined,
  ) {}

  start(intervalMs: number): void {
    this.#last = { at: Date.now(), accepted: this.load.accepted(), delivered: this.load.delivered() };
    this.#timer = setInterval(() => (this.#pending = this.#pending.then(() => this.take())), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#pending;
  }

  /** Takes one sample now (a failed scrape is recorded as NaN, never skipped). */
  async take(): Promise<void> {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.#last.at) / 1000);
    const accepted = this.load.accepted();
    const delivered = this.load.delivered();
    const latencies = Float64Array.from(this.load.takeLatencies()).sort();
    const scraped = await scrapeNode(this.node.url).catch(() => NOT_SCRAPED);
    const sample: Sample = {
      t: (now - this.started) / 1000,
      phase: this.phase,
      rssMiB: rssBytes(this.node.pid) / MIB,
      fds: openFds(this.node.pid),
      ...scraped,
      latencyP50Ms: percentileSorted(latencies, 50),
      latencyP99Ms: percentileSorted(latencies, 99),
      acceptedPerSecond: (accepted - this.#last.accepted) / seconds,
      deliveredPerSecond: (delivered - this.#last.delivered) / seconds,
      driverRssMiB: process.memoryUsage().rss / MIB,
    };
    this.#last = { at: now, accepted, delivered };
    this.samples.push(sample);
    this.onSample(sample);
  }
}
