import type { Command } from 'commander';
import { migrateStore } from '../compose/core.js';
import { configFor, printJson } from './context.js';
import { dataLocationLine, requireExistingData } from '../data-dir.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'create or upgrade the store schema (SEALPUSH_STORE); idempotent, and safe to run from several nodes at once. ' +
        'MySQL: required before `serve` after an upgrade. SQLite migrates itself whenever it opens.',
    )
    .option('--json', 'print {"driver", "location", "from", "to", "applied": [{"version", "name"}]} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(command);
      requireExistingData(config, { database: false, masterKey: false });
      process.stderr.write(dataLocationLine(config));
      const report = await migrateStore(config, (migration) => {
        if (!options.json) process.stdout.write(`applying ${migration.version}: ${migration.name}\n`);
      });
      if (options.json) return printJson(report);
      const note = report.driver === 'sqlite' ? ' (SQLite applies its migrations itself whenever it opens)' : '';
      process.stdout.write(
        report.applied.length === 0
          ? `${report.driver} store ${report.location}: schema already at version ${report.to}, nothing to apply${note}\n`
          : `${report.driver} store ${report.location}: schema upgraded from version ${report.from} to ${report.to} ` +
              `(${report.applied.length} migration(s) applied)${note}\n`,
      );
    });
}
