import type { Command } from 'commander';
import { Forgetting } from '../domain/usecases/forget.js';
import { printJson, withCore } from './context.js';

export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('manage clients (works whether or not a server runs)');

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
