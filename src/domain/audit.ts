/**
 * The tamper-evident audit log: record kinds and their fields (docs/audit.md). The canonical
 * bytes that the hash chain and the signed checkpoints cover are crypto/audit-encoding.ts;
 * SHA-256 and Ed25519 over them, crypto/node/audit.ts.
 *
 * A record's `fields` is a JSON text, written once by the server and hashed as its exact
 * UTF-8 bytes: verification never re-serializes it, so JSON's freedom (key order, spacing)
 * cannot make two encodings of one record. Fields hold ids, seqs, codes and addresses;
 * never a payload, a signature of a request, a token or a secret.
 */

/** Every kind of record. */
export type AuditKind =
  | 'publish'
  | 'deliver'
  | 'ack'
  | 'expire'
  | 'auth-failure'
  | 'replay-refused'
  | 'admin'
  | 'audit-overflow';

/** A record to append: the store gives it its seq, time and chain hashes. */
export interface AuditEvent {
  readonly kind: AuditKind;
  /** JSON text (see the builders below). */
  readonly fields: string;
}

/** A record as stored. `hash` = SHA-256(auditRecordBytes(record)); `prevHash` is the hash of seq - 1. */
export interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  readonly kind: string;
  readonly fields: string;
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
}

/** The chain's head: the last record's seq and hash (seq 0 and GENESIS_HASH when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: Uint8Array;
}

/** A signed statement "the chain's record `seq` has hash `headHash`", made at `at`. */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly headHash: Uint8Array;
  readonly at: number;
  /** The version of the server key 'audit-signing' that signed it. */
  readonly keyVersion: number;
  /** Ed25519 over auditCheckpointBytes(seq, headHash, at, keyVersion). */
  readonly signature: Uint8Array;
}

/** The prevHash of record 1. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);
/** The server key purpose of the checkpoint signing key (Ed25519). */
export const AUDIT_KEY_PURPOSE = 'audit-signing';

// ---- Record builders. Each one is the only place its kind's fields are shaped. ----

/** One publish record per app per commit: every message it inserted, as [id, clientId, seq]. */
export function publishEvent(appId: string, messages: readonly (readonly [string, string, number])[]): AuditEvent {
  return { kind: 'publish', fields: JSON.stringify({ app: appId, messages }) };
}

/** A cumulative mark (delivered or acked) in a record: [clientId, uptoSeq]. */
export type MarkEntry = readonly [string, number, ...unknown[]];

/** One deliver record per commit: the delivered marks it wrote. */
export function deliverEvent(marks: readonly { readonly clientId: string; readonly uptoSeq: number }[]): AuditEvent {
  return { kind: 'deliver', fields: JSON.stringify({ marks: marks.map((m): MarkEntry => [m.clientId, m.uptoSeq]) }) };
}

/** A signed ACK as the audit record keeps it: what the client signed, and its signature. */
interface ReceiptLike {
  readonly fromSeq: number;
  readonly uptoSeq: number;
  readonly messages: readonly { readonly seq: number; readonly id: string }[];
  readonly signature: Uint8Array;
}

/** Lower-case hex, for the bytes a record shows (public keys, signatures). */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/**
 * One ack entry: [clientId, uptoSeq], then each signed ACK (proof of delivery, docs/receipts.md)
 * the mark carries, as [fromSeq, uptoSeq, [[seq, id], ...], signature as hex]: the chain
 * covers the signature, and the entry alone holds all a third party needs to check it
 * (with the client's ack key and the app and client ids).
 */
export function ackEntry(mark: { readonly clientId: string; readonly uptoSeq: number; readonly receipts?: readonly ReceiptLike[] }): MarkEntry {
  const receipts = mark.receipts ?? [];
  if (receipts.length === 0) return [mark.clientId, mark.uptoSeq];
  return [
    mark.clientId,
    mark.uptoSeq,
    ...receipts.map((r) => [r.fromSeq, r.uptoSeq, r.messages.map((m) => [m.seq, m.id]), hex(r.signature)]),
  ];
}

/** One ack record per commit: the acked marks it wrote (the store indexes them by client and seq). */
export function ackEvent(marks: readonly Parameters<typeof ackEntry>[0][]): AuditEvent {
  return { kind: 'ack', fields: JSON.stringify({ marks: marks.map(ackEntry) }) };
}

/** One expire record per sweep step: the messages it marked expired, as [appId, id, clientId, seq]. */
export function expireEvent(messages: readonly (readonly [string, string, string, number])[]): AuditEvent {
  return { kind: 'expire', fields: JSON.stringify({ messages }) };
}

/** The longest claimed id or address kept in a record: input from anyone, so bounded. */
const MAX_CLAIM_CHARS = 128;

function claim(value: string | undefined): string | null {
  return value === undefined ? null : value.slice(0, MAX_CLAIM_CHARS);
}

export interface AuthFailure {
  /** The app id the request claimed (HMAC scheme), if it named one. */
  readonly appId?: string;
  /** The issuer a bearer token claimed, if any. */
  readonly issuer?: string;
  readonly scheme: 'hmac' | 'bearer' | 'none';
  /** The catalogue code it was refused with: ERR_AUTH_*, or ERR_RATE_LIMITED (its address failed too often). */
  readonly code: string;
  readonly remote: string;
}

/** How many refusals one record stands for: a serving node counts them (usecases/refusal-audit.ts). */
export interface RefusalCount {
  readonly count: number;
  /** Of them, how many claimed another app, issuer or scheme than the one the record names. */
  readonly otherClaims: number;
  /** When the first and the last of them came, ms since the epoch. */
  readonly from: number;
  readonly to: number;
}

/**
 * Refused REST requests: who the first claimed to be, why, from where (`remote` null: from the
 * addresses past an interval's `maxRefusalSources`), and how many. ERR_AUTH_REPLAY is
 * 'replay-refused'.
 */
export function authFailureEvent(failure: Omit<AuthFailure, 'remote'> & { readonly remote: string | null }, refusals?: RefusalCount): AuditEvent {
  const fields = JSON.stringify({
    app: claim(failure.appId),
    issuer: claim(failure.issuer),
    scheme: failure.scheme,
    code: failure.code,
    remote: claim(failure.remote ?? undefined),
    ...refusals,
  });
  return { kind: failure.code === 'ERR_AUTH_REPLAY' ? 'replay-refused' : 'auth-failure', fields };
}

/** Audit events dropped because too many waited for one commit (an auth-failure flood). */
export function overflowEvent(omitted: number): AuditEvent {
  return { kind: 'audit-overflow', fields: JSON.stringify({ omitted }) };
}

/** The admin actions recorded; others (keys rotate, clients forget) add theirs here. */
export type AdminAction =
  | 'apps.create'
  | 'apps.update'
  | 'apps.jwt-key'
  | 'apps.signing-key'
  | 'apps.rotate-secret'
  | 'apps.delete'
  | 'keys.rotate'
  | 'keys.rotate-identity'
  | 'clients.forget'
  | 'clients.prune'
  | 'admin.create'
  | 'admin.revoke'
  | 'webhooks.add'
  | 'webhooks.remove'
  | 'webhooks.rotate-secret'
  | 'webhooks.retry';

/**
 * Who made a change an app may also make itself (field `by`): `operator` through the CLI, `app`
 * through its signed REST request (`clients.forget`, `webhooks.*`).
 */
export type AdminActor = 'operator' | 'app';

/**
 * A state-changing admin command. `details` name what it changed (ids, modes, algorithms):
 * the caller must never put a secret in them.
 */
export function adminEvent(action: AdminAction, details: Readonly<Record<string, string | number | boolean | null>>): AuditEvent {
  return { kind: 'admin', fields: JSON.stringify({ action, ...details }) };
}

/** Why verification failed, for scripts (`--json`) and tests; `reason` says it for people. */
export type AuditProblemCode =
  | 'record-missing'
  | 'record-altered'
  | 'record-replaced'
  | 'record-inserted'
  | 'record-unlinked'
  | 'records-rewritten'
  | 'truncated'
  | 'head-mismatch'
  | 'checkpoint-bad-signature'
  | 'checkpoints-disagree'
  | 'records-uncovered'
  | AuditKeyProblemCode;

/** The audit key could not be anchored outside the database (audit-anchor.ts): seq 0. */
export type AuditKeyProblemCode = 'audit-key-replaced' | 'audit-key-unanchored' | 'audit-key-not-pinned' | 'audit-key-not-exported';

export interface AuditProblem {
  /** The first record that is not what the server wrote (or, for a checkpoint, its seq; 0 for the key). */
  readonly seq: number;
  readonly code: AuditProblemCode;
  readonly reason: string;
}
