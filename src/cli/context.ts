import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig, type Config, type ConfigInput } from '../config.js';
import { openCore, type Core } from '../compose.js';

/** The config for a command: global flags (--data, --config) over env over file. */
export function configFor(command: Command, flags: Partial<Record<keyof ConfigInput, unknown>> = {}): Config {
  const globals = command.optsWithGlobals<{ data?: string; config?: string }>();
  return loadConfig({ file: globals.config, flags: { dataDir: globals.data, ...flags } });
}

/** Opens the store and KMS for an admin command, runs `fn`, and closes them. */
export async function withCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const config = configFor(command);
  const core = await openCore(config, pino({ level: 'warn' }, pino.destination(2)));
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Thrown by a command that finished its work but must exit non-zero (e.g. a failed check). */
export class CommandExit extends Error {
  override name = 'CommandExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
