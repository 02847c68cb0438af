import type { ConnectOptions, Message, SealPushClient, SealPushError } from '../../src/client/index.js';

/** Collects a client's messages and resolves when `count` have arrived. */
export function collect(client: SealPushClient, count: number, timeoutMs = 20_000): Promise<Message[]> {
  const received: Message[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`received ${received.length} of ${count} messages: ${JSON.stringify(received.map((m) => m.data))}`)),
      timeoutMs,
    );
    client.on('message', (m) => {
      received.push(m);
      if (received.length === count) {
        clearTimeout(timer);
        resolve(received);
      }
    });
  });
}

/** Resolves with the next value of an event. */
export function once<T>(subscribe: (listener: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve) => subscribe(resolve));
}

/** The errors a client emits from now on, in order (refused messages among them). */
export function errorsOf(client: SealPushClient): SealPushError[] {
  const errors: SealPushError[] = [];
  client.on('error', (err) => errors.push(err));
  return errors;
}

/**
 * Connects clients to one server (given late: it starts in `before`) with either SDK entry,
 * and closes all of them at the end.
 */
export function clientPool(
  connect: (options: ConnectOptions) => Promise<SealPushClient>,
  server: () => { url: string; app: { appId: string }; identity: { publicKey: string } },
): { client(options?: Partial<ConnectOptions>): Promise<SealPushClient>; closeAll(): Promise<void> } {
  const open: SealPushClient[] = [];
  return {
    async client(options = {}) {
      const { url, app, identity } = server();
      const c = await connect({ url, appId: app.appId, serverKey: identity.publicKey, ...options });
      open.push(c);
      return c;
    },
    closeAll: async () => {
      await Promise.all(open.map((c) => c.close()));
    },
  };
}
