/**
 * The clients scenario's history: per client, the ids that got a 202 (in the order they were
 * accepted) and the ids its SDK handed to the application, from clients in this process and
 * from the fleets' reports. checkHistory (crash-loop/history.ts) judges it.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { Message, SealPushClient } from '../../src/client/node.js';
import { isSealPushError } from '../../src/domain/errors.js';
import type { SealPushApp } from '../../src/app/index.js';
import type { FleetReport } from './fleet.js';

export class Ledger {
  readonly accepted = new Map<string, string[]>();
  readonly received = new Map<string, string[]>();
  /** Publishes refused for good (a code that is not "try again"): a defect, each one. */
  readonly refusals: string[] = [];

  /** Records what `client` hands to the application (and tells `onMessage`). */
  listen(client: SealPushClient, onMessage?: (m: Message) => void): void {
    const log = this.received.get(client.clientId) ?? [];
    this.received.set(client.clientId, log);
    client.on('message', (m) => {
      log.push(m.id);
      onMessage?.(m);
    });
  }

  /** Takes a fleet's record of what its clients received (the whole of it, each time). */
  absorb(report: FleetReport): void {
    for (const [clientId, ids] of Object.entries(report.receivedBy)) this.received.set(clientId, ids);
  }

  /** Accepted messages of `clients` (default all) not received yet. */
  missing(clients: Iterable<string> = this.accepted.keys()): number {
    let missing = 0;
    for (const id of clients) {
      const got = new Set(this.received.get(id));
      missing += (this.accepted.get(id) ?? []).filter((m) => !got.has(m)).length;
    }
    return missing;
  }

  /** Whether every client of the fleet's report has everything accepted for it. */
  complete(report: FleetReport): boolean {
    this.absorb(report);
    return this.missing(Object.keys(report.receivedBy)) === 0;
  }

  /** Resolves once `clients` received everything accepted for them, or at `deadline` (false). */
  async drained(clients: readonly string[], deadline: number): Promise<boolean> {
    while (this.missing(clients) > 0) {
      if (Date.now() > deadline) return false;
      await pause(100);
    }
    return true;
  }

  accept(to: string, id: string): void {
    const ids = this.accepted.get(to) ?? [];
    ids.push(id);
    this.accepted.set(to, ids);
  }
}

/**
 * Publishes `messages` in batches of `batchSize`, each batch sent again (same ids) until it is
 * accepted; records each 202 in the ledger. Resolves with how many were accepted.
 */
export async function publishAll(publisher: SealPushApp, ledger: Ledger, messages: readonly { to: string; data: unknown; id: string }[], batchSize = 500): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < messages.length; i += batchSize) {
    const batch = messages.slice(i, i + batchSize);
    for (;;) {
      try {
        const results = await publisher.publishBatch(batch);
        results.forEach((r, k) => {
          if ('id' in r) {
            ledger.accept(batch[k]!.to, r.id);
            accepted++;
          } else ledger.refusals.push(`${batch[k]!.id}: ${JSON.stringify(r)}`);
        });
        break;
      } catch (err) {
        if (isSealPushError(err) && err.code !== 'ERR_UNAVAILABLE' && err.code !== 'ERR_RATE_LIMITED') {
          ledger.refusals.push(`${err.code}: ${err.message}`);
          break;
        }
        await pause(100 + Math.random() * 100); // the node is down or busy: the same ids again
      }
    }
  }
  return accepted;
}
