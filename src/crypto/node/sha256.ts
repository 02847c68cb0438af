/** SHA-256 on node:crypto, for server-side callers that hash whole byte strings at once. */
import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}
