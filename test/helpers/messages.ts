import type { Message, SealPushClient } from '../../src/client/index.js';

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
