import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configDefaults, ConfigError, loadConfig, maskedStoreUrl, type Config } from '../config.js';
import { configFor, printJson } from './context.js';
import { writePrivateFile } from './private-file.js';

const DEFAULT_CONFIG_FILE = 'sealpush.json';
const MASK = '***';

/**
 * `sealpush config init|check|show` (Centrifugo's genconfig and checkconfig): write a file with
 * every option at its default, check a file as `serve` would, and show the configuration a
 * command here would run with (defaults < file < environment < flags), secrets masked.
 */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('write, check and show the configuration (docs/configuration.md)');

  config
    .command('init [file]')
    .description(`write a config file (default ${DEFAULT_CONFIG_FILE}) with every option at its default, mode 0600; refuses to overwrite one`)
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print {"file"} as JSON')
    .action((file: string | undefined, options: { force?: boolean; json?: boolean }) => {
      const path = resolve(file ?? DEFAULT_CONFIG_FILE);
      if (existsSync(path) && !options.force) throw new ConfigError(`sealpush: ${path} exists; nothing was written (--force replaces it)`);
      writePrivateFile(path, `${JSON.stringify(configDefaults(), null, 2)}\n`);
      if (options.json) return printJson({ file: path });
      process.stdout.write(
        `wrote ${path}: every option at its default (docs/configuration.md says what each means)\n` +
          `  use it with --config ${path} or SEALPUSH_CONFIG; environment variables and flags override it\n`,
      );
    });

  config
    .command('check [file]')
    .description('validate a config file as serve does (default: --config or SEALPUSH_CONFIG); exit 0 if valid, 2 with the problems if not; the environment is not read')
    .option('--json', 'print {"file", "valid": true} as JSON')
    .action((file: string | undefined, options: { json?: boolean }, command: Command) => {
      const named = file ?? command.optsWithGlobals<{ config?: string }>().config ?? process.env.SEALPUSH_CONFIG;
      if (!named) throw new ConfigError('sealpush: no config file to check: give FILE, --config FILE or SEALPUSH_CONFIG');
      const path = resolve(named);
      loadConfig({ file: path, env: {} }); // throws ConfigError naming each bad value
      if (options.json) return printJson({ file: path, valid: true });
      process.stdout.write(`${path}: valid\n`);
    });

  config
    .command('show')
    .description('print the effective configuration as JSON (defaults < --config file < environment < flags), secrets masked as ***')
    .option('--json', 'the same JSON (the output is always JSON)')
    .action((_options: unknown, command: Command) => printJson(maskedConfig(configFor(command))));
}

/**
 * The configuration with every secret masked: the master key, and the password in the store
 * and Redis URLs. Paths (the key file, the TLS key) are shown: they locate secrets, they are not ones.
 */
export function maskedConfig(config: Config): Config {
  return {
    ...config,
    store: maskedStoreUrl(config.store),
    ...(config.masterKey === undefined ? {} : { masterKey: MASK }),
    ...(config.redis === undefined ? {} : { redis: maskedStoreUrl(config.redis) }),
  };
}
