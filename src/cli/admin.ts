import type { Command } from 'commander';
import { newAdminToken } from '../crypto/node/admin-token.js';
import { SealPushError } from '../domain/errors.js';
import { recordAdminAction } from '../domain/usecases/audit.js';
import { printJson, withCore } from './context.js';

const MAX_NAME_CHARS = 100;

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('operator credentials for /v1/admin (works whether or not a server runs)');

  admin
    .command('create')
    .description('create an operator credential and print its login token (shown once; only its hash is stored)')
    .option('--name <name>', 'a label for the credential', 'admin')
    .option('--json', 'print {"id", "name", "token"} as JSON')
    .action(async (options: { name: string; json?: boolean }, command: Command) => {
      const name = options.name;
      if (name.length < 1 || name.length > MAX_NAME_CHARS) {
        throw new SealPushError('ERR_BAD_REQUEST', `--name must be 1-${MAX_NAME_CHARS} characters`);
      }
      const created = newAdminToken();
      await withCore(command, async (core) => {
        const stored = await core.store.addAdminToken({ id: created.id, name, tokenHash: created.tokenHash, createdAt: core.clock.now() });
        if (!stored) throw new SealPushError('ERR_INTERNAL', 'An admin token with this id exists; run the command again');
        await recordAdminAction({ store: core.store, clock: core.clock }, 'admin.create', { id: created.id, name });
      });
      if (options.json) return printJson({ id: created.id, name, token: created.token });
      process.stdout.write(
        `Created admin credential "${name}" (id ${created.id})\n  token: ${created.token}\n` +
          'Send it as "Authorization: Bearer <token>" to /v1/admin/*. It is shown once and only its hash is stored: keep it now.\n',
      );
    });

  admin
    .command('list')
    .description('list the operator credentials: id, name, creation time (never a token)')
    .option('--json', 'print [{"id", "name", "createdAt"}] as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const tokens = await withCore(command, (core) => core.store.listAdminTokens());
      const rows = tokens.map((t) => ({ id: t.id, name: t.name, createdAt: new Date(t.createdAt).toISOString() }));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No admin credentials (sealpush admin create makes one).\n');
      for (const row of rows) process.stdout.write(`${row.id}  ${row.createdAt}  ${row.name}\n`);
    });

  admin
    .command('revoke <id>')
    .description('delete an operator credential: its token is refused from the next request on, on every node')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withCore(command, async (core) => {
        if (!(await core.store.removeAdminToken(id))) throw new SealPushError('ERR_NOT_FOUND', `No admin credential with id ${id} (sealpush admin list shows them)`);
        await recordAdminAction({ store: core.store, clock: core.clock }, 'admin.revoke', { id });
      });
      process.stdout.write(`Revoked admin credential ${id}.\n`);
    });
}
