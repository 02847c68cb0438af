import { ConfigError, type Config } from '../config.js';

/**
 * A `serve` that cannot start exits at once, non-zero, with what to do: a node that stays up
 * without listening would keep a supervisor's restart policy (systemd, a container) from
 * firing. The exit is immediate (process.exit) so that nothing the failed start left open
 * (a Redis reconnect loop, a store thread) keeps the process alive.
 */
export function exitOnStartFailure(err: unknown, config: Config): never {
  const message = err instanceof Error ? err.message : String(err);
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
