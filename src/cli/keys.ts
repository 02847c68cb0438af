import type { Command } from 'commander';
import { loadServerIdentity } from '../compose.js';
import { printJson, withCore } from './context.js';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('server keys');

  keys
    .command('show')
    .description("show the server's public key (pin it in clients as serverKey) and its fingerprint")
    .option('--json', 'print {"fingerprint", "publicKey"} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { identity } = await withCore(command, (core) => loadServerIdentity(core));
      if (options.json) return printJson({ fingerprint: identity.fingerprint, publicKey: identity.publicKey });
      process.stdout.write(`fingerprint: ${identity.fingerprint}\npublic key:  ${identity.publicKey}\n`);
    });
}
