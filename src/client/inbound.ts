/**
 * What the client SDK does with one delivered message's `data` before the application sees
 * it (docs/relay-blind.md): check the publisher signature when a `publisherKey` is pinned,
 * then open a sealed (HPKE) wrapper with the client's own HPKE key.
 *
 * Order: a publisher seals, then signs the sealed wrapper. So the client verifies first (a
 * forged message costs one verify, and is never decrypted), then opens.
 */
import { SealPushError } from '../domain/errors.js';
import {
  SEALED_TAG,
  SIGNED_TAG,
  parseSealedWrapper,
  parseSignedWrapper,
  signedBytes,
  type MessageBinding,
} from '../domain/message-wrappers.js';
import { base64urlDecode } from '../crypto/encoding.js';
import { openSealed, type HpkeKeyPair } from '../crypto/hpke.js';
import type { PublisherVerify } from './platform.js';

export interface InboundKeys {
  /** The client's HPKE key pair (its own, never the Noise static key). */
  readonly hpke: HpkeKeyPair;
  /** Set when the application pinned a publisher key: every message must be signed by it. */
  readonly verifyPublisher: PublisherVerify | null;
}

export interface UnwrappedData {
  readonly data: unknown;
  /** It arrived HPKE-sealed to this client (sealpush never saw it in the clear). */
  readonly sealed: boolean;
  /** Its signature verified with the pinned publisherKey. */
  readonly verified: boolean;
}

/** Whether `data` needs the (asynchronous) unwrap: a pinned key, or a wrapper's tag. */
export function needsUnwrap(keys: InboundKeys, data: unknown): boolean {
  if (keys.verifyPublisher) return true;
  return typeof data === 'object' && data !== null && (Object.hasOwn(data, SIGNED_TAG) || Object.hasOwn(data, SEALED_TAG));
}

/**
 * Checks and opens one message's data. Throws ERR_MESSAGE_SIGNATURE (unsigned while a key is
 * pinned, a signature that does not verify for this app, client and message id, a malformed
 * signed wrapper) or ERR_SEALED_MESSAGE (a sealed wrapper that does not open for them).
 */
export async function unwrapData(keys: InboundKeys, binding: MessageBinding, data: unknown): Promise<UnwrappedData> {
  let value = data;
  let verified = false;
  const signed = parseSignedWrapper(value);
  if (keys.verifyPublisher) {
    if (!signed) throw new SealPushError('ERR_MESSAGE_SIGNATURE', `Message ${binding.messageId} is not signed by the publisher key`);
    let signature: Uint8Array;
    try {
      signature = base64urlDecode(signed.sig);
    } catch {
      throw new SealPushError('ERR_MESSAGE_SIGNATURE', `Message ${binding.messageId} has a malformed signature`);
    }
    if (!(await keys.verifyPublisher(signedBytes(binding, signed.payload), signature))) {
      throw new SealPushError('ERR_MESSAGE_SIGNATURE', `Message ${binding.messageId} is not signed by the publisher key for this client and id`);
    }
    verified = true;
  }
  if (signed) value = parseJson(signed.payload, 'ERR_MESSAGE_SIGNATURE', binding.messageId);
  const sealed = namingMessage(binding.messageId, () => parseSealedWrapper(value));
  if (sealed) {
    const text = await namingMessage(binding.messageId, () => openSealed(keys.hpke, binding, sealed));
    value = parseJson(text, 'ERR_SEALED_MESSAGE', binding.messageId);
  }
  return { data: value, sealed: sealed !== undefined, verified };
}

/** The same refusal, with the message id in its text, so the application can tell which one. */
function namingMessage<T>(messageId: string, run: () => T): T {
  const rename = (err: unknown): never => {
    if (err instanceof SealPushError) throw new SealPushError(err.code, `Message ${messageId}: ${err.message}`);
    throw err;
  };
  try {
    const result = run();
    return (result instanceof Promise ? result.catch(rename) : result) as T;
  } catch (err) {
    return rename(err);
  }
}

function parseJson(text: string, code: 'ERR_MESSAGE_SIGNATURE' | 'ERR_SEALED_MESSAGE', messageId: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SealPushError(code, `Message ${messageId} wraps text that is not JSON`);
  }
}

const utf8 = new TextDecoder();

/** A sealed frame whose data is not JSON came from a broken server: a protocol error. */
export function parseData(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new SealPushError('ERR_PROTOCOL', 'A delivered message is not valid JSON');
  }
}
