/**
 * One SDK client held on a node that is never paused, and the publishes made to it directly
 * through each node, one at a time (so their order of acceptance is known): the probes of a
 * fault, and the measure of recovery after it. What it was sent and what it received join the
 * load's history.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { NO_ANSWER, readyz, send, signPublish, type App } from './probes.js';

export class ProbeClient {
  readonly accepted: string[] = [];
  readonly received: string[] = [];
  #next = 0;

  private constructor(private readonly app: App, private readonly client: SealPushClient) {
    client.on('message', (m) => this.received.push(m.id));
  }

  static async connect(url: string, app: App, serverKey: string): Promise<ProbeClient> {
    const client = await connect({ url, appId: app.appId, serverKey, reconnect: { minDelayMs: 50, maxDelayMs: 1000 } });
    return new ProbeClient(app, client);
  }

  get clientId(): string {
    return this.client.clientId;
  }

  /**
   * A publish to this client through the node at `url`, with a new id: its answer (probes.ts's
   * `send`). When none came, the same id is sent again until one does, so that `accepted`
   * holds every message that was in fact committed; the first answer is returned.
   */
  async publishThrough(url: string, id = `probe-${this.#next++}`): Promise<string> {
    const message = { to: this.clientId, data: { probe: true }, id };
    const first = await send(url, await signPublish(this.app, message));
    let answer = first;
    for (let tries = 0; answer === NO_ANSWER && tries < 10; tries++) answer = await send(url, await signPublish(this.app, message));
    if (answer === '202' && !this.accepted.includes(id)) this.accepted.push(id);
    return first;
  }

  /**
   * Waits until every node answers `/readyz` 200 and a publish through each (retried with its
   * id until a 202) has reached this client: the ms from `since`, or null past `deadline`.
   */
  async recovery(urls: readonly string[], since: number, deadline: number): Promise<number | null> {
    for (const url of urls) {
      while ((await readyz(url, 1000)) !== '200') if (!(await this.#wait(deadline))) return null;
      const id = `probe-${this.#next++}`;
      while ((await this.publishThrough(url, id)) !== '202') if (!(await this.#wait(deadline))) return null;
    }
    return (await this.caughtUp(deadline)) ? Date.now() - since : null;
  }

  /**
   * Waits until every message accepted for this client has reached it: false past `deadline`.
   * One published through another node while Redis had forgotten this client's presence (a
   * FLUSHALL) comes by the periodic catch-up (src/domain/usecases/catch-up.ts), seconds later.
   */
  async caughtUp(deadline: number): Promise<boolean> {
    while (!this.accepted.every((id) => this.received.includes(id))) if (!(await this.#wait(deadline))) return false;
    return true;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async #wait(deadline: number): Promise<boolean> {
    if (Date.now() > deadline) return false;
    await pause(20);
    return true;
  }
}
