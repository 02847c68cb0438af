import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { composeNode, type ServerIdentity } from './compose.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly identity: ServerIdentity;
  connectionCount(): number;
  /** Drains (see Node.drain) and stops the timers; resolves when the node is closed. */
  stop(): Promise<void>;
}

/** Logs go to stdout as JSON; never pass them a secret, a key or a payload. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    base: { service: 'sealpush' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'secret', 'masterKey'], censor: '[redacted]' },
  });
}

/** Starts a node on the configured host and port (0 picks a free port). */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const node = await composeNode(config, logger);
  await node.http.listen({ host: config.host, port: config.port });
  const address = node.http.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    node
      .sweep()
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'expiry sweep failed'))
      .finally(() => (sweeping = false));
  }, config.sweepIntervalMs);
  sweeper.unref();

  let stopping: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    identity: node.identity,
    connectionCount: () => node.gateway.connectionCount,
    stop: () => {
      stopping ??= (async () => {
        clearInterval(sweeper);
        await node.drain();
      })();
      return stopping;
    },
  };
}
