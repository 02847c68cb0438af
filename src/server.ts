import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from './config.js';
import { sqlitePath } from './compose/core.js';
import type { ServerIdentity } from './compose/keys.js';
import { composeNode } from './compose/node.js';
import { KEY_BESIDE_DATABASE_WARNING, masterKeyBesideDatabase } from './master-key-placement.js';
import { registeredRoutes, type RegisteredRoute } from './transport/http/app.js';
import { lockDataDir, needsServeLock } from './serve-lock.js';
import { errorMessage } from './domain/errors.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly identity: ServerIdentity;
  connectionCount(): number;
  /** The HTTP routes as registered (method and URL), e.g. to check the OpenAPI document covers them. */
  routes(): readonly RegisteredRoute[];
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

/** Whether `host` can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The certificate and key files, read once at start; a missing file names itself. */
function loadTls(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`Cannot read the TLS ${what} ${path}: ${errorMessage(err)}`);
    }
  };
  return { cert: read('certificate', config.tlsCert), key: read('key', config.tlsKey) };
}

/**
 * Starts a node on the configured host and port (0 picks a free port): https and wss with a
 * certificate, else plain HTTP on a loopback address only, unless `allowInsecure` says a
 * TLS-terminating proxy is in front.
 */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const tls = loadTls(config);
  if (!tls && !isLoopbackHost(config.host)) {
    if (!config.allowInsecure) {
      throw new ConfigError(
        `Refusing plain HTTP on ${config.host}, which is reachable from other machines: give --tls-cert and --tls-key, ` +
          'or --allow-insecure when a TLS-terminating proxy is in front',
      );
    }
    logger.warn({ host: config.host }, 'serving plain HTTP on a non-loopback address (--allow-insecure): put TLS in front');
  }
  const unlock = needsServeLock(config) ? lockDataDir(config) : () => undefined;
  let node: Awaited<ReturnType<typeof composeNode>>;
  try {
    node = await composeNode(config, logger, tls);
  } catch (err) {
    unlock();
    throw err;
  }
  const beside = isLoopbackHost(config.host) ? undefined : masterKeyBesideDatabase(config, sqlitePath(config));
  if (beside) logger.warn({ host: config.host, ...beside }, KEY_BESIDE_DATABASE_WARNING);
  try {
    await node.http.listen({ host: config.host, port: config.port });
  } catch (err) {
    // Nothing of the node may outlive a failed start (its store thread, timers, connections).
    await node.drain().catch(() => undefined);
    unlock();
    throw err;
  }
  const address = node.http.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;

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
    routes: () => registeredRoutes(node.http),
    stop: () => {
      stopping ??= (async () => {
        clearInterval(sweeper);
        await node.drain().finally(unlock);
      })();
      return stopping;
    },
  };
}
