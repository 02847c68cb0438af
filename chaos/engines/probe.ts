/**
 * A sampler of a node's unsigned health routes: GET /healthz and /readyz every `everyMs`, each
 * answer recorded with when it was sent and came back (or `no answer` past `timeoutMs`).
 */
import { setTimeout as pause } from 'node:timers/promises';

export interface ProbeAnswer {
  readonly path: '/healthz' | '/readyz';
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly status: number | 'no answer';
}

export class HealthProbe {
  readonly answers: ProbeAnswer[] = [];
  #stopping = false;
  readonly #running: Promise<void>[];

  constructor(private readonly url: string, private readonly everyMs: number, private readonly timeoutMs: number) {
    this.#running = (['/healthz', '/readyz'] as const).map((path) => this.#sample(path));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#running);
  }

  async #sample(path: ProbeAnswer['path']): Promise<void> {
    while (!this.#stopping) {
      const sentAt = Date.now();
      let status: ProbeAnswer['status'];
      try {
        const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 'no answer';
      }
      this.answers.push({ path, sentAt, answeredAt: Date.now(), status });
      await pause(this.everyMs);
    }
  }
}
