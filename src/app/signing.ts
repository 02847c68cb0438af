/**
 * Request signing for the back-end SDK with WebCrypto (`globalThis.crypto.subtle`), so that it
 * runs unchanged in Node 20, Deno, Bun and edge runtimes. The scheme itself (canonical string,
 * header format, window) lives in crypto/request-signature.ts, shared with the server.
 */
import {
  NONCE_BYTES,
  base64urlEncode,
  canonicalRequest,
  decodeAppSecret,
  formatAuthorization,
  hexEncode,
} from '../crypto/request-signature.js';

export interface RequestToSign {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path plus `?query`, exactly as it will be sent (URL.pathname + URL.search). */
  readonly pathWithQuery: string;
  /** The exact body bytes that will be sent; empty for GET. */
  readonly body: Uint8Array;
}

/** Signs requests for one app. The HMAC key is imported once, non-extractable. */
export class RequestSigner {
  private readonly key: Promise<CryptoKey>;

  /** Throws a TypeError if `secret` is not the 43-character base64url app secret. */
  constructor(
    private readonly appId: string,
    secret: string,
  ) {
    const keyBytes = decodeAppSecret(secret);
    this.key = globalThis.crypto.subtle.importKey('raw', toArrayBuffer(keyBytes), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
  }

  /** The Authorization header value for one request: a fresh nonce and the current time. */
  async authorization(request: RequestToSign, nowMs: number = Date.now()): Promise<string> {
    const subtle = globalThis.crypto.subtle;
    const ts = Math.floor(nowMs / 1000);
    const nonce = base64urlEncode(globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
    const bodySha256Hex = hexEncode(new Uint8Array(await subtle.digest('SHA-256', toArrayBuffer(request.body))));
    const text = canonicalRequest({ method: request.method, pathWithQuery: request.pathWithQuery, ts, nonce, bodySha256Hex });
    const mac = await subtle.sign('HMAC', await this.key, toArrayBuffer(new TextEncoder().encode(text)));
    return formatAuthorization({ appId: this.appId, ts, nonce, sig: base64urlEncode(new Uint8Array(mac)) });
  }
}

/** A standalone copy of the bytes: WebCrypto's types want an ArrayBuffer, not a view. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}
