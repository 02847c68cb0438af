/**
 * A fleet of SDK clients in a process of its own, forked by fleet-handle.ts: the reconnect
 * storm spreads its clients over a few of them so that the generator is not the bottleneck,
 * and the slow clients live in one that is stopped (SIGSTOP) to make every socket of it stop
 * reading at once, timers and all, as a frozen app would. Commands and answers go over the
 * IPC channel (FleetCommand, FleetAnswer); it records what each client handed to the
 * application, when each first reconnected after a mark, and how its connections closed.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { connect, type SealPushClient } from '../../src/client/node.js';
import type { SavedSession } from '../../src/client/session.js';

export type FleetCommand =
  | { readonly type: 'connect'; readonly url: string; readonly appId: string; readonly serverKey: string; readonly count: number; readonly concurrency: number }
  | { readonly type: 'mark'; readonly at: number }
  | { readonly type: 'status' }
  | { readonly type: 'report' }
  | { readonly type: 'close' };

export interface FleetStatus {
  readonly clients: number;
  /** Clients whose session opened again (resumed) since the mark. */
  readonly resumed: number;
  readonly received: number;
}

export interface FleetReport extends FleetStatus {
  /** Per client, the ids handed to the application, in order. */
  readonly receivedBy: Record<string, string[]>;
  /** Per client, when its session first opened after the mark (ms since the epoch). */
  readonly resumedAt: Record<string, number>;
  /** Close codes the clients saw, with how often. */
  readonly closes: Record<string, number>;
  /** Sessions that opened after the mark as new clients instead of resuming (a defect if any). */
  readonly notResumed: number;
}

export type FleetAnswer = { readonly seq: number } & ({ readonly clientIds: string[] } | FleetStatus | FleetReport | { readonly closed: true } | { readonly error: string });

const clients: SealPushClient[] = [];
const receivedBy: Record<string, string[]> = {};
const resumedAt: Record<string, number> = {};
const closes: Record<string, number> = {};
let markAt = Number.POSITIVE_INFINITY;
let notResumed = 0;
let received = 0;

async function connectOne(url: string, appId: string, serverKey: string, session?: SavedSession): Promise<SealPushClient> {
  for (;;) {
    try {
      // The SDK's default backoff (250 ms to 10 s, full jitter): what the docs recommend.
      const client = await connect({ url, appId, serverKey, session });
      const log = (receivedBy[client.clientId] ??= []);
      client.on('message', (m) => {
        log.push(m.id);
        received++;
      });
      client.on('connected', ({ resumed }) => {
        if (Date.now() < markAt || resumedAt[client.clientId] !== undefined) return;
        resumedAt[client.clientId] = Date.now();
        if (!resumed) notResumed++;
      });
      client.on('disconnected', ({ code }) => (closes[code] = (closes[code] ?? 0) + 1));
      client.on('error', () => undefined); // counted from the close codes
      return client;
    } catch {
      await pause(200 + Math.random() * 400); // refused (rate limit, capacity): try again, as an app would
    }
  }
}

async function handle(command: FleetCommand): Promise<Omit<FleetAnswer, 'seq'>> {
  switch (command.type) {
    case 'connect': {
      const queue = Array.from({ length: command.count }, (_, i) => i);
      await Promise.all(Array.from({ length: command.concurrency }, async () => {
        while (queue.pop() !== undefined) clients.push(await connectOne(command.url, command.appId, command.serverKey));
      }));
      return { clientIds: clients.map((c) => c.clientId) };
    }
    case 'mark':
      markAt = command.at;
      return status();
    case 'status':
      return status();
    case 'report':
      return { ...status(), receivedBy, resumedAt, closes, notResumed };
    case 'close':
      await Promise.all(clients.map((c) => c.close()));
      return { closed: true };
  }
}

function status(): FleetStatus {
  return { clients: clients.length, resumed: Object.keys(resumedAt).length, received };
}

process.on('message', (message: FleetCommand & { seq: number }) => {
  handle(message).then(
    (answer) => process.send!({ seq: message.seq, ...answer }),
    (err: unknown) => process.send!({ seq: message.seq, error: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
