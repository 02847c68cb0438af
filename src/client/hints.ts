/**
 * What to do about a connection the client SDK could not make or keep: one sentence per code,
 * `{url}` standing for the WebSocket URL it dialled. This table is the one home of the hints:
 * docs/sdk.md ("Errors") quotes it, checked by test/unit/client-hints-doc.test.ts; docs/errors.md
 * gives the general "What to do" for every code, publishers included.
 */
import type { ErrorCode } from '../domain/errors.js';
import { PROTOCOL_VERSION } from '../crypto/hello.js';

/** Close code 1006: the socket ended without a close frame (nothing listening, or the link dropped). */
export const CLOSED_ABNORMALLY = 1006;

/** Nothing answered the WebSocket upgrade: the commonest first-hour mistake, so it has its own hint. */
export const UNREACHABLE_HINT = 'Nothing answered at {url}: is `sealpush serve` running there?';

export const CLIENT_HINTS: Partial<Record<ErrorCode, string>> = {
  ERR_HANDSHAKE:
    'Is `sealpush serve` running at {url}? Compare the pinned key with `sealpush keys show` (run with the data directory of that server).',
  ERR_VERSION: `The server at {url} speaks another protocol version than this SDK's (${PROTOCOL_VERSION}): use the sealpush/client of the same release as the server.`,
  ERR_NOT_FOUND: 'No such app at {url}: compare `appId` with `sealpush apps list` on that server.',
  ERR_UNAVAILABLE: 'The server at {url} is starting or draining: the SDK reconnects by itself once it answers.',
  ERR_HANDSHAKE_TIMEOUT: 'The handshake with {url} did not finish in time: check the network path (proxies must pass WebSocket upgrades).',
  ERR_RATE_LIMITED: 'The server at {url} refused new connections or new clients for now: the SDK retries with backoff.',
  ERR_TOO_MANY_CONNECTIONS: 'The server at {url} holds its maximum of connections (`limits.maxConnectionsPerIp`): the SDK retries with backoff.',
  ERR_SESSION_REPLACED: 'Another tab or process resumed this saved session: one connection per session; this one stops.',
  ERR_CLIENT_FORGOTTEN: 'This client was forgotten: drop the saved session and connect without it (a new client id).',
  ERR_ACK_KEY_MISMATCH: 'Restore the saved session with its `ackKey`, or connect without a session (a new client).',
  ERR_PROTOCOL: 'Use the sealpush/client of the same release as the server at {url}; report it if they match.',
  ERR_INTERNAL: 'The server at {url} failed: its log says why; the SDK reconnects by itself.',
};

/** The hint for a close with `closeCode` that the SDK reports as `code`, for the server at `url`. */
export function clientHint(code: ErrorCode, closeCode: number, url: string): string {
  const template = closeCode === CLOSED_ABNORMALLY ? UNREACHABLE_HINT : (CLIENT_HINTS[code] ?? `See ${code} in docs/errors.md.`);
  return template.replaceAll('{url}', url);
}
