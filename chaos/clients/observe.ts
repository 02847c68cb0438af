/**
 * What the clients scenario reads off the node from outside: its resident memory (from
 * /proc, sampled), its metrics (the connection gauge, handshakes by result) and the closes it
 * logged at debug level (which client, which code, when).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as pause } from 'node:timers/promises';

/** The process's resident set and its peak so far (VmHWM), KiB; null once it is gone. */
export function residentKiB(pid: number): { rss: number; peak: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Samples a process's RSS every `everyMs` until stopped: the highest seen, KiB. */
export class RssSampler {
  peakKiB = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs = 100) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.peakKiB;
  }

  #sample(): void {
    const rss = residentKiB(this.pid)?.rss ?? 0;
    if (rss > this.peakKiB) this.peakKiB = rss;
  }
}

async function metricsText(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: ${response.status}`);
  return response.text();
}

/** `sealpush_connections`: WebSocket connections the node holds now, handshakes included. */
export async function connectionGauge(url: string): Promise<number> {
  const value = /^sealpush_connections (\d+)/m.exec(await metricsText(url))?.[1];
  if (value === undefined) throw new Error('no sealpush_connections in /metrics');
  return Number(value);
}

/** `sealpush_handshakes_total` by result (ok, or the code the node refused or closed them with). */
export async function handshakeResults(url: string): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const [, result, count] of (await metricsText(url)).matchAll(/^sealpush_handshakes_total\{result="([^"]+)"\} (\d+)/gm)) {
    results[result!] = Number(count);
  }
  return results;
}

/** Polls `check` every 100 ms until it is true (the time it became so) or `deadline` (null). */
export async function whenTrue(check: () => Promise<boolean> | boolean, deadline: number): Promise<number | null> {
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) return null;
    await pause(100);
  }
}

export interface NodeClose {
  readonly clientId: string;
  readonly code: string;
  /** ms since the epoch, from the log line. */
  readonly at: number;
}

/** The connections the node closed itself, from its debug log ('closing connection' lines). */
export function nodeCloses(output: string): NodeClose[] {
  const closes: NodeClose[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('"closing connection"')) continue;
    try {
      const entry = JSON.parse(line) as { clientId?: string; code?: string; time?: number };
      if (entry.clientId && entry.code && entry.time) closes.push({ clientId: entry.clientId, code: entry.code, at: entry.time });
    } catch {
      // a line cut short by the process ending: not a close we can attribute
    }
  }
  return closes;
}
