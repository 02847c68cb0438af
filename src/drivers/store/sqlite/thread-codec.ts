/**
 * The store worker's `commit` call, packed. A group commit carries up to thousands of
 * messages; as plain objects every one of them (three strings, a Uint8Array, two numbers) is
 * structured-cloned by `postMessage` on the node's thread, which profiled at about 7% of it
 * under load. Packed into one ArrayBuffer and transferred, the batch crosses the thread
 * boundary as a pointer: the node's thread pays only for writing the bytes.
 *
 * Batch layout, little-endian, read in this order:
 *   at f64; counts u32 x6 (apps, clients, messages, delivered, acked, seen);
 *   apps: string each (the batch's distinct app ids; clients and messages name an index);
 *   clients: id string, app u32, staticKey bytes, keySalt bytes, createdAt f64, ackKey bytes (empty: none),
 *     hpkeKey bytes (empty: none);
 *   messages: app u32, id string, clientId string, payload bytes, createdAt f64, expiresAt f64,
 *     fingerprint bytes (empty: none);
 *   delivered: clientId string, uptoSeq f64;
 *   acked: clientId string, uptoSeq f64, receipts u32, then per receipt: fromSeq f64,
 *     uptoSeq f64, messages u32, (seq f64, id string) per message, signature bytes;
 *   seen: clientId string;
 *   then audit count u32 and each audit event: kind string, fields string.
 * Strings and bytes are length-prefixed (thread-bytes.ts).
 * Fields follow the port's declaration order, so that the decoder reads each record in one
 * object literal (its properties are evaluated in source order).
 * Numbers travel as float64, so every JS number (seqs and times up to 2^53) comes back as is.
 *
 * The reply (PackedCommitResult) packs only the common outcome, 'inserted' with its seq; the
 * rare records (duplicates, and the batch's clients) ride beside it as ordinary clones.
 */
import type { CommitResult, MessageOutcome, NewClient, NewMessage, SeqMark, WriteBatch } from '../../../domain/ports/message-log.js';
import type { AckReceipt, Client, MessageRecord } from '../../../domain/types.js';
import type { AuditEvent, AuditKind } from '../../../domain/audit.js';
import { Reader, stringBound, Writer } from './thread-bytes.js';

export { MAX_STRING_BYTES } from './thread-bytes.js';

const HEADER_BYTES = 8 + 6 * 4;
const EMPTY = new Uint8Array(0);

/**
 * The batch's distinct app ids, numbered in first-seen order. A batch is usually one app, so
 * the last id is checked before the map: the same string is then a pointer compare.
 */
class AppTable {
  readonly #index = new Map<string, number>();
  #lastId: string | undefined;
  #lastIndex = 0;

  indexOf(appId: string): number {
    if (appId === this.#lastId) return this.#lastIndex;
    let index = this.#index.get(appId);
    if (index === undefined) {
      index = this.#index.size;
      this.#index.set(appId, index);
    }
    this.#lastId = appId;
    this.#lastIndex = index;
    return index;
  }

  ids(): IterableIterator<string> {
    return this.#index.keys();
  }

  get size(): number {
    return this.#index.size;
  }
}

const markBound = (mark: SeqMark): number => stringBound(mark.clientId) + 8;

function ackedBound(mark: SeqMark): number {
  let size = markBound(mark) + 4;
  for (const receipt of mark.receipts ?? []) {
    size += 16 + 4 + 4 + receipt.signature.byteLength;
    for (const m of receipt.messages) size += 8 + stringBound(m.id);
  }
  return size;
}

/** Packs a batch for `postMessage(call, [buffer])`; throws RangeError on an id over MAX_STRING_BYTES. */
export function encodeWriteBatch(batch: WriteBatch): ArrayBuffer {
  const apps = new AppTable();
  let size = HEADER_BYTES;
  for (const c of batch.clients) {
    apps.indexOf(c.appId);
    size += 4 + stringBound(c.id) + 4 + c.staticKey.byteLength + 4 + c.keySalt.byteLength + 8 + 4 + (c.ackKey?.byteLength ?? 0) + 4 + (c.hpkeKey?.byteLength ?? 0);
  }
  for (const m of batch.messages) {
    apps.indexOf(m.appId);
    size += 4 + stringBound(m.id) + stringBound(m.clientId) + 16 + 4 + m.payload.byteLength + 4 + (m.fingerprint?.byteLength ?? 0);
  }
  for (const appId of apps.ids()) size += stringBound(appId);
  for (const mark of batch.delivered) size += markBound(mark);
  for (const mark of batch.acked) size += ackedBound(mark);
  for (const clientId of batch.seen) size += stringBound(clientId);
  const audit = batch.audit ?? [];
  size += 4;
  for (const event of audit) size += stringBound(event.kind) + stringBound(event.fields);

  const w = new Writer(size);
  w.f64(batch.at);
  w.u32(apps.size);
  w.u32(batch.clients.length);
  w.u32(batch.messages.length);
  w.u32(batch.delivered.length);
  w.u32(batch.acked.length);
  w.u32(batch.seen.length);
  for (const appId of apps.ids()) w.string(appId);
  for (const c of batch.clients) {
    w.string(c.id);
    w.u32(apps.indexOf(c.appId));
    w.bytes(c.staticKey);
    w.bytes(c.keySalt);
    w.f64(c.createdAt);
    w.bytes(c.ackKey ?? EMPTY);
    w.bytes(c.hpkeKey ?? EMPTY);
  }
  for (const m of batch.messages) {
    w.u32(apps.indexOf(m.appId));
    w.string(m.id);
    w.string(m.clientId);
    w.bytes(m.payload);
    w.f64(m.createdAt);
    w.f64(m.expiresAt);
    w.bytes(m.fingerprint ?? EMPTY);
  }
  for (const mark of batch.delivered) {
    w.string(mark.clientId);
    w.f64(mark.uptoSeq);
  }
  for (const mark of batch.acked) {
    w.string(mark.clientId);
    w.f64(mark.uptoSeq);
    const receipts = mark.receipts ?? [];
    w.u32(receipts.length);
    for (const receipt of receipts) {
      w.f64(receipt.fromSeq);
      w.f64(receipt.uptoSeq);
      w.u32(receipt.messages.length);
      for (const m of receipt.messages) {
        w.f64(m.seq);
        w.string(m.id);
      }
      w.bytes(receipt.signature);
    }
  }
  for (const clientId of batch.seen) w.string(clientId);
  w.u32(audit.length);
  for (const event of audit) {
    w.string(event.kind);
    w.string(event.fields);
  }
  return w.buffer;
}

/** Unpacks a batch on the worker; message payloads are views into `buffer`, which must stay unmodified until the commit is done. */
export function decodeWriteBatch(buffer: ArrayBuffer): WriteBatch {
  const r = new Reader(buffer);
  const at = r.f64();
  const appCount = r.u32();
  const clientCount = r.u32();
  const messageCount = r.u32();
  const deliveredCount = r.u32();
  const ackedCount = r.u32();
  const seenCount = r.u32();
  const apps: string[] = [];
  for (let i = 0; i < appCount; i++) apps.push(r.string());
  const clients: NewClient[] = [];
  for (let i = 0; i < clientCount; i++) {
    const base: NewClient = { id: r.string(), appId: r.app(apps), staticKey: r.copy(), keySalt: r.copy(), createdAt: r.f64() };
    const ackKey = r.copy();
    const hpkeKey = r.copy();
    const withAck = ackKey.length === 0 ? base : { ...base, ackKey };
    clients.push(hpkeKey.byteLength === 0 ? withAck : { ...withAck, hpkeKey });
  }
  const messages: NewMessage[] = [];
  for (let i = 0; i < messageCount; i++) {
    const message: NewMessage = { appId: r.app(apps), id: r.string(), clientId: r.string(), payload: r.view(), createdAt: r.f64(), expiresAt: r.f64() };
    const fingerprint = r.copy();
    messages.push(fingerprint.byteLength === 0 ? message : { ...message, fingerprint });
  }
  const delivered: SeqMark[] = [];
  for (let i = 0; i < deliveredCount; i++) delivered.push({ clientId: r.string(), uptoSeq: r.f64() });
  const acked: SeqMark[] = [];
  for (let i = 0; i < ackedCount; i++) {
    const mark: SeqMark = { clientId: r.string(), uptoSeq: r.f64() };
    const receiptCount = r.u32();
    if (receiptCount === 0) {
      acked.push(mark);
      continue;
    }
    const receipts: AckReceipt[] = [];
    for (let k = 0; k < receiptCount; k++) {
      const fromSeq = r.f64();
      const uptoSeq = r.f64();
      const count = r.u32();
      const messages: { seq: number; id: string }[] = [];
      for (let j = 0; j < count; j++) messages.push({ seq: r.f64(), id: r.string() });
      receipts.push({ fromSeq, uptoSeq, messages, signature: r.view() });
    }
    acked.push({ ...mark, receipts });
  }
  const seen: string[] = [];
  for (let i = 0; i < seenCount; i++) seen.push(r.string());
  const auditCount = r.u32();
  if (auditCount === 0) return { clients, messages, delivered, acked, seen, at };
  const audit: AuditEvent[] = [];
  for (let i = 0; i < auditCount; i++) audit.push({ kind: r.string() as AuditKind, fields: r.string() });
  return { clients, messages, delivered, acked, seen, at, audit };
}

/** A CommitResult on its way back from the worker. */
export interface PackedCommitResult {
  /**
   * Transferred. For n messages: n float64 seqs (0 unless inserted), then n kind bytes
   * (OUTCOME_KIND), both in batch.messages order.
   */
  readonly outcomes: ArrayBuffer;
  /** The `existing` record of each 'duplicate' outcome, in message order. */
  readonly duplicates: readonly MessageRecord[];
  readonly clients: readonly (Client | null)[];
}

const OUTCOME_KIND = { inserted: 0, duplicate: 1, 'unknown-client': 2, 'client-full': 3 } as const satisfies Record<MessageOutcome['kind'], number>;

/** Packs the worker's result; post it with `[packed.outcomes]` as the transfer list. */
export function encodeCommitResult(result: CommitResult): PackedCommitResult {
  const n = result.messages.length;
  const outcomes = new ArrayBuffer(9 * n);
  const seqs = new Float64Array(outcomes, 0, n);
  const kinds = new Uint8Array(outcomes, 8 * n, n);
  const duplicates: MessageRecord[] = [];
  for (let i = 0; i < n; i++) {
    const outcome = result.messages[i]!;
    kinds[i] = OUTCOME_KIND[outcome.kind];
    if (outcome.kind === 'inserted') seqs[i] = outcome.seq;
    else if (outcome.kind === 'duplicate') duplicates.push(outcome.existing);
  }
  return { outcomes, duplicates, clients: result.clients };
}

export function decodeCommitResult(packed: PackedCommitResult): CommitResult {
  const n = packed.outcomes.byteLength / 9;
  const seqs = new Float64Array(packed.outcomes, 0, n);
  const kinds = new Uint8Array(packed.outcomes, 8 * n, n);
  const messages: MessageOutcome[] = [];
  let duplicate = 0;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    if (kind === OUTCOME_KIND.inserted) {
      messages.push({ kind: 'inserted', seq: seqs[i]! });
    } else if (kind === OUTCOME_KIND.duplicate) {
      const existing = packed.duplicates[duplicate++];
      if (existing === undefined) throw new Error('sqlite store: packed result has fewer duplicates than outcomes name');
      messages.push({ kind: 'duplicate', existing });
    } else if (kind === OUTCOME_KIND['unknown-client']) {
      messages.push({ kind: 'unknown-client' });
    } else if (kind === OUTCOME_KIND['client-full']) {
      messages.push({ kind: 'client-full' });
    } else {
      throw new Error(`sqlite store: packed result has outcome kind ${String(kind)}`);
    }
  }
  return { messages, clients: packed.clients };
}
