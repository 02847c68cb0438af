/** The server's side of authenticated close reasons (../close-reason.ts): synchronous on node:crypto. */

import { createHmac } from 'node:crypto';
import type { ErrorCode } from '../../domain/errors.js';
import { closeTokenInput, formatCloseReason } from '../close-reason.js';

/** `code` and its token under this session's secret: the reason to close the WebSocket with. */
export function authenticatedCloseReason(sessionSecret: Uint8Array, code: ErrorCode): string {
  return formatCloseReason(code, createHmac('sha256', sessionSecret).update(closeTokenInput(code)).digest());
}
