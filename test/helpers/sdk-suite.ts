/**
 * One describe()'s real server (its app created) and the SDK clients and proxies its tests open,
 * each closed after the suite: the setup tests of the handshake share.
 */
import { after, before } from 'node:test';
import type { ConfigInput } from '../../src/config.js';
import { connect, type SealPushClient } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { startTestServer, type TestServer } from './server.js';
import { WsProxy, type ProxyHooks } from './ws-proxy.js';

export interface SdkSuite {
  readonly server: TestServer;
  readonly app: SealPushApp;
  /** A client of the suite's app through `url` (the server's, or a proxy's), no reconnection, immediate ACKs. */
  sdk(url: string, options?: Partial<Parameters<typeof connect>[0]>): Promise<SealPushClient>;
  /** A man in the middle to the server (ws-proxy.ts). */
  proxy(hooks: ProxyHooks): Promise<WsProxy>;
}

/** Registers the suite's before and after hooks; call inside describe(). */
export function sdkSuite(overrides: Partial<ConfigInput> = {}): SdkSuite {
  let server: TestServer | undefined;
  let app: SealPushApp | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    server = await startTestServer(overrides);
    app = new SealPushApp({ url: server.url, appId: server.app.appId, secret: server.app.secret });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    get app() {
      return app!;
    },
    async sdk(url, options = {}) {
      const client = await connect({ url, appId: server!.app.appId, serverKey: server!.identity.publicKey, reconnect: false, ackDelayMs: 0, ...options });
      cleanups.push(() => client.close());
      return client;
    },
    async proxy(hooks) {
      const started = await WsProxy.start(server!.url, hooks);
      cleanups.push(() => started.close());
      return started;
    },
  };
}
