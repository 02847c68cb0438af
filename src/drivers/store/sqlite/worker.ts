/**
 * The worker-thread side of the threaded SQLite store: owns the better-sqlite3 connection
 * and runs each call it is sent, one at a time, in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Store } from '../../../domain/ports/store.js';
import { openSqliteStore, type SqliteStoreOptions } from './store.js';
import { decodeWriteBatch, encodeCommitResult } from './thread-codec.js';
import { failureReply, type StoreCall, type StoreReply } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('the sqlite worker runs in a worker thread only');

let store: Store;
try {
  store = openSqliteStore(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true } satisfies StoreReply);
} catch (err) {
  port.postMessage({ ready: false, ...failureReply(err) } satisfies StoreReply);
  process.exit(1);
}

interface Answer {
  readonly result: unknown;
  readonly transfer: ArrayBuffer[];
}

/** Async so that a batch that fails to unpack is an error reply, not a dead worker. */
async function run(call: StoreCall): Promise<Answer> {
  if (call.method === 'commit') {
    const packed = encodeCommitResult(await store.commit(decodeWriteBatch(call.batch)));
    return { result: packed, transfer: [packed.outcomes] };
  }
  const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
  return { result: await method.apply(store, call.args), transfer: [] };
}

port.on('message', (call: StoreCall) => {
  // better-sqlite3 is synchronous: each call is finished before the next message is read.
  run(call).then(
    ({ result, transfer }) => {
      port.postMessage({ id: call.id, result } satisfies StoreReply, transfer);
      if (call.method === 'close') port.close();
    },
    (err: unknown) => port.postMessage({ id: call.id, ...failureReply(err) } satisfies StoreReply),
  );
});
