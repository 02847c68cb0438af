import type { Command } from 'commander';
import { SealPushError } from '../domain/errors.js';
import { OperatorLookup } from '../domain/usecases/operator-lookup.js';
import { printJson, withCore } from './context.js';

export function registerMessagesCommands(program: Command): void {
  const messages = program.command('messages').description('look up messages (works whether or not a server runs)');

  messages
    .command('show <messageId>')
    .description("show a message's status as GET /v1/messages/:id does: recipient, status and times, never its payload")
    // Generated ids start with "-" (a time in sortable base64url): taken as the id, not as an option.
    .allowUnknownOption()
    .option('--app <appId>', 'the app of the message (needed when several apps have a message with this id)')
    .option('--json', 'print {"appId", "id", "to", "status", "createdAt", "expiresAt", "deliveredAt", "ackedAt"} as JSON')
    .action(async (messageId: string, options: { app?: string; json?: boolean }, command: Command) => {
      if (messageId.startsWith('--')) throw new SealPushError('ERR_BAD_REQUEST', `unknown option '${messageId}' (see sealpush messages show --help)`);
      const message = await withCore(command, (core) => new OperatorLookup(core).message(messageId, options.app));
      if (options.json) return printJson(message);
      process.stdout.write(
        `message ${message.id} of app ${message.appId}\n  to:         ${message.to}\n  status:     ${message.status}\n` +
          `  created:    ${message.createdAt}\n  expires:    ${message.expiresAt}\n` +
          `  delivered:  ${message.deliveredAt ?? '-'}\n  acked:      ${message.ackedAt ?? '-'}\n`,
      );
    });
}
