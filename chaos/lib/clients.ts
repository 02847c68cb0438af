/**
 * SDK clients as the fault scenarios and the soak run them: connected the way a user's
 * application would (trying again while the node is down or turns it away), each recording the
 * ids its SDK handed to the application, per client id, across its resumed instances.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { jittered } from './jitter.js';
import { connect, type SavedSession, type SealPushClient } from '../../src/client/node.js';

export interface ClientTarget {
  readonly url: string;
  readonly appId: string;
  readonly serverKey: string;
}

/**
 * Connects (resuming `session` if given), with the SDK reconnecting by itself afterwards; a
 * failed first connect is tried again after about 200 ms, up to `attempts` times. The client's
 * message ids are appended to `received.get(clientId)`, which it creates if needed.
 */
export async function connectRecorded(
  target: ClientTarget,
  received: Map<string, string[]>,
  session?: SavedSession,
  attempts = Number.POSITIVE_INFINITY,
): Promise<{ client: SealPushClient; log: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { url, appId, serverKey } = target;
      const client = await connect({ url, appId, serverKey, session, reconnect: { minDelayMs: 50, maxDelayMs: 1000 } });
      const log = received.get(client.clientId) ?? [];
      received.set(client.clientId, log);
      client.on('message', (m) => log.push(m.id));
      return { client, log };
    } catch (err) {
      if (attempt >= attempts) throw err;
      await pause(jittered(200));
    }
  }
}
