import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { isSealPushError } from '../domain/errors.js';
import { registerAdminCommands } from './admin.js';
import { registerAppsCommands } from './apps.js';
import { registerAuditCommands } from './audit.js';
import { CommandExit } from './context.js';
import { registerClientsCommands } from './clients.js';
import { registerInitCommand } from './init.js';
import { registerKeysCommands } from './keys.js';
import { registerMessagesCommands } from './messages.js';
import { registerMigrateCommand } from './migrate.js';
import { registerServeCommand } from './serve.js';

/** Runs the `sealpush` command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('sealpush')
    .description('Secure message push service: sealed, durable delivery of results to WebSocket clients.')
    .option('--data <dir>', 'data directory (env SEALPUSH_DATA_DIR)', undefined)
    .option('--config <file>', 'JSON config file (env SEALPUSH_CONFIG)', undefined)
    .showHelpAfterError()
    .exitOverride();
  registerServeCommand(program);
  registerInitCommand(program);
  registerAppsCommands(program);
  registerClientsCommands(program);
  registerMessagesCommands(program);
  registerKeysCommands(program);
  registerAuditCommands(program);
  registerMigrateCommand(program);
  registerAdminCommands(program);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CommandExit) return err.exitCode;
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    if (isSealPushError(err)) {
      console.error(`sealpush: ${err.code}: ${err.message}`);
      return 1;
    }
    console.error(`sealpush: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
