/**
 * Checking a receipt without trusting sealpush (docs/receipts.md): anyone holding the
 * client's ack key and a `ReceiptView` can run this, with WebCrypto only.
 */
import { ackSignedBytes, encodeCoveredList } from '../crypto/ack-receipt.js';
import { base64urlDecode } from '../crypto/encoding.js';
import { verifyEd25519, webAckKeyCrypto } from '../crypto/web/ack-key.js';
import type { ReceiptView } from '../domain/views.js';
import { errorMessage } from '../domain/errors.js';

export type ReceiptVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

function decode(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return base64urlDecode(text);
  } catch {
    return undefined;
  }
}

function isSeq(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** The reason `view` is not well formed, or null: checked before any cryptography. */
function shapeProblem(view: ReceiptView): string | null {
  const r = (view as { receipt?: ReceiptView['receipt'] }).receipt;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.messages)) return 'not a receipt';
  if (!isSeq(r.fromSeq, 0) || !isSeq(r.uptoSeq, 1) || r.uptoSeq <= r.fromSeq) return 'fromSeq and uptoSeq out of order';
  let previous = r.fromSeq;
  for (const m of r.messages) {
    if (typeof m !== 'object' || m === null || !isSeq(m.seq, previous + 1) || m.seq > r.uptoSeq || typeof m.id !== 'string') {
      return 'the covered messages are not in seq order within (fromSeq, uptoSeq]';
    }
    previous = m.seq;
  }
  return null;
}

/**
 * Valid when `ackKey` (base64url or 32 raw bytes: the key the client gave you) signed this
 * receipt, and the receipt covers `view.messageId` at `view.seq`. Rebuilds the signed bytes
 * from the receipt's fields; `signedBytes` and `view.ackKey` are never trusted.
 */
export async function verifyReceipt(view: ReceiptView, ackKey: string | Uint8Array): Promise<ReceiptVerdict> {
  const problem = shapeProblem(view);
  if (problem) return { valid: false, reason: problem };
  const { receipt } = view;
  if (!receipt.messages.some((m) => m.seq === view.seq && m.id === view.messageId)) {
    return { valid: false, reason: `message ${view.messageId} at seq ${view.seq} is not among the messages the receipt covers` };
  }
  const key = typeof ackKey === 'string' ? decode(ackKey) : ackKey;
  const signature = decode(receipt.signature);
  if (key === undefined || key.length !== 32) return { valid: false, reason: 'ackKey is not 32 bytes of base64url' };
  if (signature === undefined || signature.length !== 64) return { valid: false, reason: 'the signature is not 64 bytes of base64url' };
  let signed: Uint8Array;
  try {
    const digest = await webAckKeyCrypto.sha256(encodeCoveredList(receipt.messages));
    signed = ackSignedBytes({ appId: view.appId, clientId: view.clientId, fromSeq: receipt.fromSeq, uptoSeq: receipt.uptoSeq }, digest);
  } catch (err) {
    return { valid: false, reason: `cannot rebuild the signed bytes: ${errorMessage(err)}` };
  }
  if (!(await verifyEd25519(key, signed, signature))) return { valid: false, reason: 'the signature does not verify with this ack key' };
  return { valid: true };
}
