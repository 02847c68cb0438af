import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { printJson } from './context.js';

/** The package's version, from its package.json (two levels up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** `sealpush version`: the version of sealpush and of the Node that runs it (`--version` prints the first alone). */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the version of sealpush and of Node')
    .option('--json', 'print {"version", "node"} as JSON')
    .action((options: { json?: boolean }) => {
      const report = { version: packageVersion(), node: process.versions.node };
      if (options.json) return printJson(report);
      process.stdout.write(`sealpush ${report.version} (Node ${report.node})\n`);
    });
}
