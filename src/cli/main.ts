import { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { registerAppsCommands } from './apps.js';
import { registerAuditCommands } from './audit.js';
import { registerClientsCommands } from './clients.js';
import { registerConfigCommands } from './config.js';
import { reportFailure, wantsJson } from './errors.js';
import { registerInitCommand } from './init.js';
import { registerKeysCommands } from './keys.js';
import { registerListenCommand } from './listen.js';
import { registerMessagesCommands } from './messages.js';
import { registerMigrateCommand } from './migrate.js';
import { registerPublishCommand } from './publish.js';
import { registerServeCommand } from './serve.js';
import { registerSignCommand } from './sign.js';
import { packageVersion, registerVersionCommand } from './version.js';
import { registerWebhooksCommands } from './webhooks.js';

/** Runs the `sealpush` command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = wantsJson(argv);
  const program = new Command()
    .name('sealpush')
    .description('Secure message push service: sealed, durable delivery of results to WebSocket clients.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--data <dir>', 'data directory (env SEALPUSH_DATA_DIR)', undefined)
    .option('--config <file>', 'JSON config file (env SEALPUSH_CONFIG)', undefined)
    .showHelpAfterError(!json)
    .exitOverride();
  // Under --json a refused command line is reported once, as JSON (errors.ts), not as text.
  if (json) program.configureOutput({ outputError: () => undefined });
  registerServeCommand(program);
  registerInitCommand(program);
  registerAppsCommands(program);
  registerClientsCommands(program);
  registerWebhooksCommands(program);
  registerMessagesCommands(program);
  registerKeysCommands(program);
  registerAuditCommands(program);
  registerMigrateCommand(program);
  registerAdminCommands(program);
  registerConfigCommands(program);
  registerPublishCommand(program);
  registerListenCommand(program);
  registerSignCommand(program);
  registerVersionCommand(program);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    return reportFailure(err, json);
  }
}
