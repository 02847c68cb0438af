import { InvalidArgumentError, type Command } from 'commander';
import { SealPushApp } from '../app/index.js';
import { SealPushError } from '../domain/errors.js';
import { appCredentials, serverUrl, type AppCredentialFlags } from './app-credentials.js';
import { printJson } from './context.js';

interface PublishFlags extends AppCredentialFlags {
  readonly id?: string;
  readonly ttl?: number;
  readonly json?: boolean;
}

/**
 * `sealpush publish CLIENT JSON`: one message through the REST API with the back-end SDK, as
 * an application would send it (ntfy's `publish`, for trying sealpush without writing code).
 */
export function registerPublishCommand(program: Command): void {
  program
    .command('publish <clientId> <json>')
    .description('publish one message (any JSON value) to a client over the REST API; app id and secret from the environment')
    .option('--id <id>', 'idempotency key: the same id again returns the first message and sends nothing new')
    .option('--ttl <seconds>', "seconds until it expires undelivered (default: the server's)", ttlSeconds)
    .option('--url <url>', `server URL (env SEALPUSH_URL, default http://127.0.0.1:8080)`)
    .option('--app <appId>', 'app id (env SEALPUSH_APP_ID)')
    .option('--secret-env <var>', 'environment variable holding the app secret (default SEALPUSH_APP_SECRET)')
    .option('--json', 'print {"id", "status"} as JSON')
    .action(async (clientId: string, text: string, options: PublishFlags) => {
      const data = parseData(text);
      const { appId, secret } = appCredentials(options);
      const app = new SealPushApp({ url: serverUrl(options.url), appId, secret });
      const accepted = await app.publish({
        to: clientId,
        data,
        ...(options.id === undefined ? {} : { id: options.id }),
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      });
      if (options.json) return printJson({ id: accepted.id, status: accepted.status });
      process.stdout.write(`${accepted.id} ${accepted.status}\n`);
    });
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the text: the payload is not echoed.
    throw new SealPushError('ERR_BAD_REQUEST', `the message is not valid JSON; quote it for the shell, e.g. '{"paid": true}' or '"text"'`);
  }
}

function ttlSeconds(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new InvalidArgumentError('expected a whole number of seconds, at least 1');
  return Number(text);
}
