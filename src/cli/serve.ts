import type { Command } from 'commander';
import { startServer, createLogger } from '../server.js';
import { ConfigError, maskedStoreUrl, type Config } from '../config.js';
import { configFor } from './context.js';
import { isSealPushError, errorMessage } from '../domain/errors.js';
import { siteLinks } from '../transport/http/site-links.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the server (SQLite store and local key file in the data directory by default; SEALPUSH_STORE=mysql://... for MySQL)')
    .option('--port <port>', 'port to listen on, 0 for any free one (env SEALPUSH_PORT, default 8080)')
    .option('--host <host>', 'address to bind (env SEALPUSH_HOST, default 127.0.0.1)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SEALPUSH_LOG_LEVEL)')
    .option('--tls-cert <file>', 'PEM certificate chain: serve https and wss (env SEALPUSH_TLS_CERT; needs --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (env SEALPUSH_TLS_KEY)')
    .option('--allow-insecure', 'plain HTTP on a non-loopback --host, behind a TLS-terminating proxy (env SEALPUSH_ALLOW_INSECURE=1)')
    .option('--trust-proxy', 'every connection comes through one reverse proxy: take the client address from the last X-Forwarded-For entry (env SEALPUSH_TRUST_PROXY=1)')
    .action(async (options: ServeOptions, command: Command) => {
      const config = configFor(command, {
        port: options.port === undefined ? undefined : Number(options.port),
        host: options.host,
        logLevel: options.logLevel,
        tlsCert: options.tlsCert,
        tlsKey: options.tlsKey,
        allowInsecure: options.allowInsecure,
        trustProxy: options.trustProxy,
      });
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger).catch((err: unknown) => exitOnStartFailure(err, config));
      process.stdout.write(
        `sealpush listening on ${server.url}\n` +
          `  REST ${server.url}/v1   WebSocket ${server.url.replace(/^http/, 'ws')}/v1/ws\n` +
          pageLines(server.url, config.pages) +
          `  server key fingerprint: ${server.identity.fingerprint}\n` +
          `  server public key (serverKey): ${server.identity.publicKey}\n` +
          `  data: ${config.dataDir}\n` +
          `  store: ${config.store === 'sqlite' ? 'sqlite (in the data directory)' : maskedStoreUrl(config.store)}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'draining');
          const deadline = setTimeout(() => {
            logger.error({ drainTimeoutMs: config.drainTimeoutMs }, 'drain timed out; exiting');
            process.exit(1);
          }, config.drainTimeoutMs);
          deadline.unref();
          server.stop().then(
            () => {
              logger.info({}, 'stopped');
              resolve();
            },
            (err: unknown) => {
              logger.error({ err: String(err) }, 'drain failed');
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}

/** The index and what it links (site-links.ts), one a line with its full URL. */
function pageLines(url: string, pages: boolean): string {
  const links = [{ title: 'Home', path: '/' }, ...siteLinks(pages)];
  const width = Math.max(...links.map((link) => link.title.length));
  return links.map((link) => `  ${link.title.padEnd(width)}  ${url}${link.path}\n`).join('');
}

interface ServeOptions {
  port?: string;
  host?: string;
  logLevel?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowInsecure?: boolean;
  trustProxy?: boolean;
}

/**
 * A `serve` that cannot start exits at once, non-zero, with what to do: a node that stays up
 * without listening would keep a supervisor's restart policy (systemd, a container) from
 * firing. The exit is immediate (process.exit) so that nothing the failed start left open
 * (a Redis reconnect loop, a store thread) keeps the process alive.
 */
export function exitOnStartFailure(err: unknown, config: Config): never {
  // A catalogue error keeps its code in front (`ERR_UNAVAILABLE: Cannot connect to Redis ...`).
  const message = isSealPushError(err) ? `${err.code}: ${err.message}` : errorMessage(err);
  process.stderr.write(`sealpush serve: cannot start: ${message}\n${hintFor(err, config)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}

function hintFor(err: unknown, config: Config): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `  port ${config.port} on ${config.host} is taken by another process: stop it, or choose another port with --port PORT or SEALPUSH_PORT.\n`;
  }
  if (code === 'EACCES') {
    return (
      `  no permission to listen on ${config.host}:${config.port} (ports below 1024 need privileges): ` +
      'choose a port from 1024 with --port PORT or SEALPUSH_PORT, and put a reverse proxy on 443 (docs/deploy.md).\n'
    );
  }
  if (code === 'EADDRNOTAVAIL') return `  ${config.host} is not an address of this machine: choose another with --host HOST or SEALPUSH_HOST.\n`;
  return '';
}
