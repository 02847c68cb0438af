/**
 * How a failed command ends: its message on stderr and its exit code, in one place for every
 * command. Under `--json` the message is one line of JSON, `{"error": {"code", "message"}}`, so
 * a script reads the same shape whatever failed; the exit codes are the same either way.
 *
 * Codes: a SealPushError's catalogue code (from the server, the SDKs or the store); and three
 * that only the command line reports (docs/cli.md): ERR_USAGE (commander refused the
 * arguments), ERR_CONFIG (the configuration, or a missing data directory), ERR_INTERNAL
 * (anything else, e.g. a file that cannot be read).
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { isSealPushError, type ErrorCode, errorMessage } from '../domain/errors.js';
import { CommandExit } from './context.js';

export type CliErrorCode = 'ERR_USAGE' | 'ERR_CONFIG' | 'ERR_INTERNAL';

/** True when the command line asks for JSON output (before `--`, where arguments stop being options). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Reports `err` on stderr and returns the exit code: commander's own (it already printed its
 * text unless `json`), 2 for a configuration error, 1 for anything else.
 */
export function reportFailure(err: unknown, json: boolean): number {
  if (err instanceof CommandExit) return err.exitCode; // the command printed its own verdict
  if (err instanceof CommanderError) {
    if (json && err.exitCode !== 0) writeJsonError('ERR_USAGE', err.message.replace(/^error: /, ''));
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    if (json) writeJsonError('ERR_CONFIG', err.message);
    else console.error(err.message);
    return 2;
  }
  if (isSealPushError(err)) {
    if (json) writeJsonError(err.code, err.message);
    else console.error(`sealpush: ${err.code}: ${err.message}`);
    return 1;
  }
  const message = errorMessage(err);
  if (json) writeJsonError('ERR_INTERNAL', message);
  else console.error(`sealpush: ${message}`);
  return 1;
}

function writeJsonError(code: ErrorCode | CliErrorCode, message: string): void {
  // The text form's "sealpush: " prefix names the program; in JSON it is noise.
  process.stderr.write(`${JSON.stringify({ error: { code, message: message.replace(/^sealpush: /, '') } })}\n`);
}
