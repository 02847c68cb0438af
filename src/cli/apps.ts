import type { Command } from 'commander';
import { printJson, withCore } from './context.js';

export function registerAppsCommands(program: Command): void {
  const apps = program.command('apps').description('manage publisher apps (works whether or not a server runs)');

  apps
    .command('create <name>')
    .description('create an app and print its id and secret (the secret is shown once)')
    .option('--json', 'print {"appId", "secret"} as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const created = await withCore(command, (core) => core.apps.create(name));
      if (options.json) {
        printJson({ appId: created.appId, name: created.name, secret: created.secret });
        return;
      }
      process.stdout.write(
        `Created app "${created.name}"\n  app id: ${created.appId}\n  secret: ${created.secret}\n` +
          'The secret is shown once and stored only wrapped by the master key: keep it now.\n',
      );
    });

  apps
    .command('list')
    .description('list apps (ids and names; never secrets)')
    .option('--json', 'print a JSON array')
    .action(async (options: { json?: boolean }, command: Command) => {
      const list = await withCore(command, (core) => core.apps.list());
      const rows = list.map((app) => ({ appId: app.id, name: app.name, createdAt: new Date(app.createdAt).toISOString() }));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No apps yet: sealpush apps create NAME\n');
      for (const row of rows) process.stdout.write(`${row.appId}  ${row.createdAt}  ${row.name}\n`);
    });
}
