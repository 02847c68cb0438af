import { fingerprint } from '../crypto/fingerprint.js';
import { base64urlDecode } from '../crypto/encoding.js';
import { SealPushError } from '../domain/errors.js';

/** The fingerprint of a server key given as base64url (32 bytes); ERR_BAD_REQUEST for anything else. */
export async function serverKeyFingerprint(serverKey: string): Promise<string> {
  let key: Uint8Array;
  try {
    key = base64urlDecode(serverKey);
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', 'serverKey must be base64url');
  }
  if (key.length !== 32) throw new SealPushError('ERR_BAD_REQUEST', 'serverKey must be 32 bytes (base64url)');
  return fingerprint(key);
}
