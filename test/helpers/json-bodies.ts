import { RequestSigner } from '../../src/app/signing.js';
import type { TestServer } from './server.js';

/** `depth` nested arrays: `[[...]]`. */
export const deepArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** `depth` nested objects: `{"a":{"a":...0}}`. */
export const deepObjects = (depth: number): string => '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);

/**
 * `depth` levels, objects and arrays in turn, each with a string full of brackets, braces
 * and escaped quotes (none of which nests anything).
 */
export function deepMixed(depth: number): string {
  const noise = '"[{\\"]}[[\\\\{\\"x"';
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level++) {
    if (level % 2 === 0) {
      open += `{"s":${noise},"k":`;
      close = '}' + close;
    } else {
      open += `[${noise},`;
      close = ']' + close;
    }
  }
  return open + noise + close;
}

export interface RawResponse {
  readonly status: number;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** Sends `body` as it is (HMAC-signed for `/v1`, the admin token for `/v1/admin`), JSON or not. */
export function rawSender(server: TestServer, adminToken?: string): (method: string, path: string, body?: string) => Promise<RawResponse> {
  const signer = new RequestSigner(server.app.appId, server.app.secret);
  return async (method, path, body) => {
    const bytes = new TextEncoder().encode(body ?? '');
    const authorization = path.startsWith('/v1/admin')
      ? `Bearer ${adminToken ?? ''}`
      : await signer.authorization({ method: method as 'POST', pathWithQuery: path, body: bytes });
    const response = await fetch(server.url + path, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
    });
    return { status: response.status, body: (await response.json()) as RawResponse['body'] };
  };
}
