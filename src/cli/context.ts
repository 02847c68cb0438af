import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig, type Config, type ConfigInput } from '../config.js';
import { openCore, type Core } from '../compose/core.js';
import { auditCheckpointerOf } from '../compose/audit.js';
import { dataLocationLine, requireExistingData } from '../data-dir.js';
import { errorMessage } from '../domain/errors.js';

/** The config for a command: global flags (--data, --config) over env over file. */
export function configFor(command: Command, flags: Partial<Record<keyof ConfigInput, unknown>> = {}): Config {
  const globals = command.optsWithGlobals<{ data?: string; config?: string }>();
  return loadConfig({ file: globals.config, flags: { dataDir: globals.data, ...flags } });
}

/**
 * Opens the store and KMS for an admin command (refused, nothing created, unless they exist;
 * the one it used is named on stderr), runs `fn`, and closes them. A command that
 * appended audit records (an admin action) signs a checkpoint of the head before it exits, so
 * its records are covered even while no node runs (docs/audit.md, "Coverage"); `audit verify`
 * passes `signAppended: false` (it only reads).
 */
export async function withCore<T>(command: Command, fn: (core: Core) => Promise<T>, options: { signAppended?: boolean } = {}): Promise<T> {
  const config = configFor(command);
  requireExistingData(config); // only serve and init create state (src/data-dir.ts)
  process.stderr.write(dataLocationLine(config));
  const core = await openCore(config, pino({ level: 'warn' }, pino.destination(2)));
  try {
    const before = (await core.store.auditHead()).seq;
    const result = await fn(core);
    if (options.signAppended !== false && (await core.store.auditHead()).seq > before) await signHead(core);
    return result;
  } finally {
    await core.close();
  }
}

/** The command's work is done: a failure to sign is a warning (a node signs the head when it runs). */
async function signHead(core: Core): Promise<void> {
  try {
    await (await auditCheckpointerOf(core)).tick(true);
  } catch (err) {
    process.stderr.write(`warning: the audit records were written but no checkpoint was signed: ${errorMessage(err)}\n`);
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
