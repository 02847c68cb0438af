import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type SavedSession, type SealPushClient } from '../client/node.js';
import { listServerIdentities } from '../compose/keys.js';
import { ConfigError } from '../config.js';
import { DataDirMissingError } from '../data-dir.js';
import { SealPushError } from '../domain/errors.js';
import { appIdFrom, serverUrl } from './app-credentials.js';
import { withCore } from './context.js';
import { writePrivateFile } from './private-file.js';

interface ListenFlags {
  readonly url?: string;
  readonly app?: string;
  readonly serverKey?: string;
  readonly session?: string;
  readonly json?: boolean;
}

/**
 * `sealpush listen`: a client (the Node SDK) that prints its client id and every message it
 * receives until Ctrl-C (ntfy's `subscribe`): with `publish`, the quick start in two terminals
 * without writing code. With --session it resumes the same client id on the next run.
 */
export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description("connect as a client of an app, print its client id and each message it receives, until Ctrl-C")
    .option('--url <url>', 'server URL (env SEALPUSH_URL, default http://127.0.0.1:8080)')
    .option('--app <appId>', 'app id (env SEALPUSH_APP_ID)')
    .option('--server-key <key>', "the server's public key to pin (env SEALPUSH_SERVER_KEY; default: read from the local data directory, as `keys show` does)")
    .option('--session <file>', 'keep the session (it holds the client\'s private keys) in this file, mode 0600, saved on every change: the next run resumes the same client id')
    .option('--json', 'one JSON line per event: {"event": "connected", "clientId", "resumed"}, {"event": "message", "id", "seq", "createdAt", "data"}')
    .action(async (options: ListenFlags, command: Command) => {
      const appId = appIdFrom(options.app);
      const serverKey = options.serverKey ?? (process.env.SEALPUSH_SERVER_KEY || (await localServerKey(command)));
      const saved = options.session === undefined ? undefined : readSession(options.session);
      const client = await connect({ url: serverUrl(options.url), appId, serverKey, session: saved });
      const save = (session: SavedSession): void => {
        if (options.session !== undefined) writePrivateFile(options.session, `${JSON.stringify(session)}\n`);
      };
      save(client.session());
      client.on('session', save);
      await printUntilStopped(client, saved?.clientId === client.clientId, options.json === true);
      save(client.session());
    });
}

/** Prints the client's events until SIGINT or SIGTERM (resolves) or a close it will not recover from (rejects). */
async function printUntilStopped(client: SealPushClient, resumed: boolean, json: boolean): Promise<void> {
  const line = (text: string): boolean => process.stdout.write(`${text}\n`);
  if (json) line(JSON.stringify({ event: 'connected', clientId: client.clientId, resumed }));
  else line(`client id: ${client.clientId}${resumed ? ' (resumed)' : ''}`);
  process.stderr.write(`listening; publish to it with: sealpush publish ${client.clientId} '{"hello": "world"}'   (Ctrl-C stops)\n`);
  client.on('message', (m) => {
    if (json) line(JSON.stringify({ event: 'message', id: m.id, seq: m.seq, createdAt: m.createdAt, data: m.data }));
    else line(`${m.id} ${JSON.stringify(m.data)}`);
  });
  let lastError: SealPushError | undefined;
  client.on('error', (err) => {
    lastError = err;
    process.stderr.write(json ? `${JSON.stringify({ error: { code: err.code, message: err.message } })}\n` : `sealpush: ${err.code}: ${err.message}\n`);
  });
  client.on('connected', (c) => process.stderr.write(`reconnected as ${c.clientId}${c.resumed ? ' (resumed)' : ''}\n`));
  client.on('disconnected', (d) => {
    if (d.willReconnect) process.stderr.write(`disconnected (${d.code}); reconnecting\n`);
  });
  let stopping = false;
  const stopped = new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    client.on('disconnected', (d) => {
      // The 'error' naming the cause comes right after a permanent close: report that one.
      if (!d.willReconnect && !stopping) setImmediate(() => reject(lastError ?? new SealPushError('ERR_UNAVAILABLE', `the connection closed (${d.code} ${d.reason})`)));
    });
  });
  try {
    await stopped;
  } finally {
    await client.close();
  }
}

function readSession(file: string): SavedSession | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedSession; // connect() checks every field
  } catch {
    throw new SealPushError('ERR_BAD_REQUEST', `--session ${file} is not a saved session (not JSON); move it away to start a new client`);
  }
}

/** The server key of the local data directory, said on stderr; refused, naming the ways to give it, where there is none. */
async function localServerKey(command: Command): Promise<string> {
  try {
    const [current] = await withCore(command, (core) => listServerIdentities(core));
    process.stderr.write(`sealpush: pinning the server key of the local data directory (fingerprint ${current!.fingerprint}); --server-key or SEALPUSH_SERVER_KEY pins another\n`);
    return current!.publicKey;
  } catch (err) {
    if (!(err instanceof DataDirMissingError)) throw err;
    throw new ConfigError(
      'sealpush: listen needs the server key: give --server-key KEY or set SEALPUSH_SERVER_KEY (`sealpush keys show` prints it where the server runs), ' +
        `or run it where the server's data directory is (--data DIR).\n${err.message}`,
    );
  }
}
