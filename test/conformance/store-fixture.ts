/**
 * What every store conformance suite shares: the fixture a driver's test file provides
 * (sqlite.test.ts, mysql.test.ts), a fresh store per test, and the builders of apps, clients,
 * messages and batches the suites write with. Nothing here may depend on a driver; what the
 * ports cannot observe (an erased payload) goes through the fixture's `storedPayload` hook.
 */
import assert from 'node:assert/strict';
import { DIRECT_DELIVERY } from '../../src/domain/delivery-settings.js';
import type { AppRegistry } from '../../src/domain/ports/app-registry.js';
import type { MessageLog, MessageOutcome, NewClient, NewMessage, WriteBatch } from '../../src/domain/ports/message-log.js';
import type { Store } from '../../src/domain/ports/store.js';
import type { StoredApp } from '../../src/domain/types.js';

export interface StoreFixture {
  readonly store: Store;
  /** Opens another store on the same storage; the first may still be open, or closed. */
  reopen(): Promise<Store>;
  /** The payload as stored, read around the port: null once erased, undefined if no such row. */
  storedPayload(appId: string, messageId: string): Promise<Uint8Array | null | undefined>;
  /** Closes every store the fixture opened and removes its storage. */
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreFixture>;

/** Runs `fn` on a fresh store from `factory`, cleaning it up afterwards: one home for the suites. */
export async function withFreshStore(factory: StoreFactory, fn: (fx: StoreFixture, store: Store) => Promise<void>): Promise<void> {
  const fx = await factory();
  try {
    await fn(fx, fx.store);
  } finally {
    await fx.cleanup();
  }
}

export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;

export const hex = (bytes: Uint8Array | null | undefined): string | null | undefined =>
  bytes == null ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** 32 bytes of `n`, the first one 0xa5: a static key (or key salt) no other `key(m)` equals. */
export function key(n: number): Uint8Array {
  const bytes = new Uint8Array(32).fill(n);
  bytes[0] = 0xa5;
  return bytes;
}

export function payloadOf(id: string): Uint8Array {
  return new TextEncoder().encode(`sealed:${id}`);
}

export function app(id: string): StoredApp {
  return { id, name: `app ${id}`, wrappedSecret: new Uint8Array([1, 2, 3, id.length]), createdAt: T0, delivery: DIRECT_DELIVERY };
}

/** A client with static key `key(keyByte)` and key salt `key(keyByte + 100)`. */
export function newClient(appId: string, id: string, keyByte: number): NewClient {
  return { id, appId, staticKey: key(keyByte), keySalt: key(keyByte + 100), createdAt: T0 };
}

/** A client whose static key is 32 bytes of `n` and key salt 32 bytes of `100 + n`. */
export function client(appId: string, id: string, n: number, createdAt = T0): NewClient {
  return { id, appId, staticKey: new Uint8Array(32).fill(n), keySalt: new Uint8Array(32).fill(100 + n), createdAt };
}

/** A message created at T0 whose payload is `payloadOf(id)`; live for an hour unless told. */
export function msg(appId: string, clientId: string, id: string, expiresAt = T0 + HOUR): NewMessage {
  return { appId, id, clientId, payload: payloadOf(id), createdAt: T0, expiresAt };
}

/** 40 bytes of `n`: a wrapped app secret, told apart from the others by `n`. */
export const secret = (n: number): Uint8Array => new Uint8Array(40).fill(n);

/** An app whose wrapped secret is `secret(n)`. */
export function appWithSecret(id: string, n = 1): StoredApp {
  return { id, name: `app ${id}`, wrappedSecret: secret(n), createdAt: T0, delivery: DIRECT_DELIVERY };
}

/** A batch of `parts` only, committed at T0 unless told. */
export function batch(parts: Partial<WriteBatch>): WriteBatch {
  return { clients: [], messages: [], delivered: [], acked: [], seen: [], at: T0, ...parts };
}

export function seqOf(outcome: MessageOutcome | undefined): number {
  assert.equal(outcome?.kind, 'inserted', `expected inserted, got ${JSON.stringify(outcome)}`);
  return outcome.kind === 'inserted' ? outcome.seq : -1;
}

/** Two apps: a1 and a2 belong to app A, b1 to app B. */
export async function seed(store: Pick<AppRegistry, 'createApp'> & Pick<MessageLog, 'commit'>): Promise<void> {
  await store.createApp(app('A'));
  await store.createApp(app('B'));
  await store.commit(batch({ clients: [newClient('A', 'a1', 1), newClient('A', 'a2', 2), newClient('B', 'b1', 3)] }));
}

export async function publish(store: Pick<MessageLog, 'commit'>, messages: NewMessage[]): Promise<number[]> {
  const result = await store.commit(batch({ messages }));
  return result.messages.map(seqOf);
}

export async function statuses(store: Pick<MessageLog, 'getMessage'>, appId: string, ids: string[]): Promise<(string | undefined)[]> {
  return Promise.all(ids.map(async (id) => (await store.getMessage(appId, id))?.status));
}
