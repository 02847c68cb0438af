import { InvalidArgumentError, type Command } from 'commander';
import { LIST_CLIENTS_MAX } from '../domain/ports/client-registry.js';
import { Forgetting } from '../domain/usecases/forget.js';
import { OperatorLookup, type ClientSummary } from '../domain/usecases/operator-lookup.js';
import { printJson, withCore } from './context.js';

const DEFAULT_LIST_LIMIT = 50;

export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('manage clients (works whether or not a server runs)');

  clients
    .command('list')
    .description('list clients, newest first: id, app, created, last seen, pending messages (never a key; online-ness lives with the running servers)')
    .option('--app <appId>', 'only the clients of this app')
    .option('--limit <n>', `at most this many (default ${DEFAULT_LIST_LIMIT}, at most ${LIST_CLIENTS_MAX})`, limitArgument, DEFAULT_LIST_LIMIT)
    .option('--json', 'print [{"id", "appId", "createdAt", "lastSeen", "pending", "lastSeq", "ackedSeq"}] as JSON')
    .action(async (options: { app?: string; limit: number; json?: boolean }, command: Command) => {
      const rows = await withCore(command, (core) => new OperatorLookup(core).listClients(options.app, options.limit));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No clients yet: a client is created by its first connection.\n');
      for (const row of rows) {
        process.stdout.write(`${row.id}  ${row.appId}  created ${row.createdAt}  last seen ${row.lastSeen ?? 'never'}  pending ${row.pending}\n`);
      }
    });

  clients
    .command('show <clientId>')
    .description('show one client: its app, creation, last connection, pending messages and sequence numbers (never a key)')
    .option('--json', 'print {"id", "appId", "createdAt", "lastSeen", "pending", "lastSeq", "ackedSeq"} as JSON')
    .action(async (clientId: string, options: { json?: boolean }, command: Command) => {
      const client = await withCore(command, (core) => new OperatorLookup(core).client(clientId));
      if (options.json) return printJson(client);
      process.stdout.write(clientReport(client));
    });

  clients
    .command('forget <clientId>')
    .description(
      "crypto-shred a client: destroy its key and every message of it, in one transaction; running servers close its " +
        'connection within about a second, and its id is never valid again (docs/forget.md)',
    )
    .option('--json', 'print {"clientId", "appId", "messagesDeleted", "receiptsDeleted", "forgottenAt", "journalScrubbed"} as JSON')
    .action(async (clientId: string, options: { json?: boolean }, command: Command) => {
      let onMysql = false;
      const report = await withCore(command, (core) => {
        onMysql = core.config.store !== 'sqlite';
        return new Forgetting(core.store, core.clock).forget(clientId);
      });
      const forgottenAt = new Date(report.forgottenAt).toISOString();
      if (options.json) return printJson({ ...report, forgottenAt });
      process.stdout.write(
        `Forgot client ${report.clientId} of app ${report.appId}: its key is destroyed, ${report.messagesDeleted} ` +
          `message(s) and ${report.receiptsDeleted} receipt(s) deleted (${forgottenAt}).\n` +
          (report.journalScrubbed
            ? ''
            : onMysql
              ? 'MySQL cannot scrub at once: old row images stay in InnoDB free space, undo and redo logs and the binlog until overwritten.\n'
              : 'The write-ahead log was busy and could not be truncated now: old page images stay in it until later checkpoints.\n') +
          'Running servers close its connection within about a second. Backups taken before now still hold its key: see docs/forget.md.\n',
      );
    });
}

function clientReport(client: ClientSummary): string {
  return (
    `client ${client.id}\n  app:        ${client.appId}\n  created:    ${client.createdAt}\n  last seen:  ${client.lastSeen ?? 'never'}\n` +
    `  pending:    ${client.pending}\n  last seq:   ${client.lastSeq} (acked up to ${client.ackedSeq})\n`
  );
}

function limitArgument(text: string): number {
  if (!/^[1-9]\d{0,6}$/.test(text)) throw new InvalidArgumentError(`expected a whole number from 1 to ${LIST_CLIENTS_MAX}`);
  return Number(text);
}
