/**
 * Crash loop (issue 18, scenario 1): a node under load from publishers, resuming SDK clients
 * and a webhook receiver is killed with SIGKILL at random moments, `kills` times, and started
 * again on the same port and data each time. Then the load stops, every client catches up,
 * and the recorded history is checked (history.ts): nothing accepted lost, nothing delivered
 * twice or out of order, no status going back, a `message.acked` webhook for every acked
 * message, and `sealpush audit verify` passing over everything the dead processes wrote.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { runUnderLoad, type LoadedRunResult } from '../lib/loaded-node.js';

export interface CrashLoopOptions {
  /** `sqlite`, or the mysql:// URL of a fresh, empty database. */
  readonly store: 'sqlite' | string;
  readonly kills: number;
  /** Time between two kills: uniform in [min, max], ms. */
  readonly minGapMs: number;
  readonly maxGapMs: number;
  readonly clients: number;
  readonly paceMs: number;
  readonly churnMs: number;
  /** Time the clients and webhooks get to catch up once the load stops, ms. */
  readonly settleMs: number;
  /** Called after each kill-and-restart with how many were done. */
  readonly onKill?: (done: number, published: number) => void;
}

export interface CrashLoopResult extends LoadedRunResult {
  readonly store: 'sqlite' | 'mysql';
  readonly kills: number;
  readonly seconds: number;
  readonly passed: boolean;
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const started = Date.now();
  const result = await runUnderLoad(options, async (node, load) => {
    for (let done = 1; done <= options.kills; done++) {
      await pause(options.minGapMs + Math.random() * (options.maxGapMs - options.minGapMs));
      await node.kill();
      await node.restart();
      options.onKill?.(done, load.publishedCount);
    }
    await pause(options.minGapMs); // a last stretch of load on a node that stays up
  });
  return {
    ...result, store: options.store === 'sqlite' ? 'sqlite' : 'mysql', kills: options.kills,
    seconds: (Date.now() - started) / 1000, passed: result.held,
  };
}
