import { base64urlDecode } from '../../src/crypto/encoding.js';
import type { ClientHelloPayload } from '../../src/crypto/hello-payloads.js';
import { startHello, type StartedHello } from '../../src/crypto/hello.js';
import type { KeyPair } from '../../src/crypto/noise/primitives.js';
import { nodeNoiseCrypto } from '../../src/crypto/node/noise-crypto.js';

/**
 * A client hello to `server`'s app, pinned to its current key, as a raw-socket test sends it:
 * from a fresh static key unless one is given.
 */
export async function helloTo(
  server: { readonly app: { readonly appId: string }; readonly identity: { readonly publicKey: string } },
  payload: ClientHelloPayload = { lastSeq: 0 },
  staticKey?: KeyPair,
): Promise<StartedHello> {
  return startHello({
    appId: server.app.appId,
    serverKey: base64urlDecode(server.identity.publicKey),
    staticKey: staticKey ?? (await nodeNoiseCrypto.generateKeyPair()),
    payload,
    crypto: nodeNoiseCrypto,
  });
}
