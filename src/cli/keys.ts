import { InvalidArgumentError, type Command } from 'commander';
import { listServerIdentities, rotateIdentity } from '../compose/keys.js';
import { auditKeysOf } from '../compose/audit.js';
import { base64urlEncode } from '../crypto/encoding.js';
import { recordAdminAction } from '../domain/usecases/audit.js';
import { rotateMasterKey, type RotationReport } from '../domain/usecases/master-key-rotation.js';
import { printJson, withCore } from './context.js';
import { progressBar } from './progress.js';

const DAY_MS = 86_400_000;
/**
 * Test hook: `keys rotate` kills itself (SIGKILL, as a crash would) once this many blobs are
 * re-wrapped, so that tests can prove a rerun finishes the job.
 */
const KILL_AFTER_ENV = 'SEALPUSH_TEST_ROTATE_KILL_AFTER';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('server keys and the master key (docs/keys.md)');

  keys
    .command('show')
    .description("show the server's public key (pin it in clients as serverKey) and its fingerprint, during an identity overlap the old one too, and the audit key's fingerprint (to pin in audit.pinnedKeys)")
    .option('--json', 'print {"fingerprint", "publicKey", "identities": [...], "auditKeys": [...]} as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const [identities, auditKeys] = await withCore(command, async (core) => [await listServerIdentities(core), await auditKeysOf(core)] as const);
      const [current, ...previous] = identities;
      const audit = auditKeys.map((key) => ({ version: key.version, fingerprint: key.fingerprint, publicKey: base64urlEncode(key.publicKey) }));
      if (options.json) {
        const list = identities.map((i) => ({ ...i, ...(i.notAfter === undefined ? {} : { notAfter: new Date(i.notAfter).toISOString() }) }));
        return printJson({ fingerprint: current!.fingerprint, publicKey: current!.publicKey, identities: list, auditKeys: audit });
      }
      process.stdout.write(`fingerprint: ${current!.fingerprint}\npublic key:  ${current!.publicKey}\n`);
      for (const old of previous) {
        process.stdout.write(
          `previous (version ${old.version}), accepted until ${new Date(old.notAfter!).toISOString()}:\n` +
            `  fingerprint: ${old.fingerprint}\n  public key:  ${old.publicKey}\n`,
        );
      }
      for (const key of audit) process.stdout.write(`audit key (version ${key.version}), for audit.pinnedKeys: ${key.fingerprint}\n`);
    });

  keys
    .command('rotate')
    .description('add a master key version and re-wrap every wrapped secret under it, online; resumes an interrupted run; retires the old version')
    .option('--batch-size <n>', 'rows per transaction (default 100)', positiveInteger, 100)
    .option('--settle-ms <ms>', 'wait before the last check, for wraps running servers had in flight (default 1000)', wholeNumber, 1000)
    .option('--json', 'print {"version", "addedVersion", "rewrapped", "retired"} as JSON')
    .action(async (options: { batchSize: number; settleMs: number; json?: boolean }, command: Command) => {
      const killAfter = Number(process.env[KILL_AFTER_ENV] ?? 0);
      const bar = progressBar('re-wrapping');
      let report: RotationReport;
      try {
        report = await withCore(command, async (core) => {
          const done = await rotateMasterKey({
            store: core.store,
            kms: core.kms,
            ring: core.masterKeys,
            batchSize: options.batchSize,
            settle: () => new Promise((resolve) => setTimeout(resolve, options.settleMs)),
            onProgress: ({ done, total }) => bar.update(done, total),
            onBatch: (count) => {
              if (killAfter > 0 && count >= killAfter) process.kill(process.pid, 'SIGKILL');
            },
          });
          await recordAdminAction(core, 'keys.rotate', { version: done.version, rewrapped: done.rewrapped, retired: done.retired.join(',') });
          return done;
        });
      } finally {
        bar.end();
      }
      if (options.json) return printJson(report);
      const retired = report.retired.length === 0 ? 'nothing to retire' : `retired version ${report.retired.join(', ')}`;
      process.stdout.write(
        `${report.addedVersion ? 'master key version' : 'resumed rotation to master key version'} ${report.version}: ` +
          `re-wrapped ${report.rewrapped} blob${report.rewrapped === 1 ? '' : 's'}, ${retired}\n`,
      );
    });

  keys
    .command('rotate-identity')
    .description('a new server identity key; the old one stays accepted for the overlap, and clients that use it are told the new one')
    .option('--overlap-days <n>', 'how long the old key stays accepted (default 14; 0 refuses it at once)', overlapDays, 14)
    .option('--json', 'print {"version", "publicKey", "fingerprint", "previousVersion", "previousUntil"} as JSON')
    .action(async (options: { overlapDays: number; json?: boolean }, command: Command) => {
      const rotated = await withCore(command, async (core) => {
        const done = await rotateIdentity(core, Math.round(options.overlapDays * DAY_MS));
        await recordAdminAction(core, 'keys.rotate-identity', {
          version: done.version,
          fingerprint: done.identity.fingerprint,
          previousVersion: done.previous.version,
          previousUntil: done.previous.notAfter,
        });
        return done;
      });
      const until = new Date(rotated.previous.notAfter).toISOString();
      if (options.json) {
        return printJson({
          version: rotated.version,
          publicKey: rotated.identity.publicKey,
          fingerprint: rotated.identity.fingerprint,
          previousVersion: rotated.previous.version,
          previousUntil: until,
        });
      }
      process.stdout.write(
        `server identity version ${rotated.version}\n  fingerprint: ${rotated.identity.fingerprint}\n  public key:  ${rotated.identity.publicKey}\n` +
          `version ${rotated.previous.version} stays accepted until ${until}; running servers switch within seconds.\n` +
          'Clients that connect with the old key are told the new one; pin the new key in new installs.\n',
      );
    });
}

function positiveInteger(text: string): number {
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new InvalidArgumentError('expected a whole number from 1 to 999999');
  return Number(text);
}

function wholeNumber(text: string): number {
  if (!/^\d{1,7}$/.test(text)) throw new InvalidArgumentError('expected a whole number of milliseconds');
  return Number(text);
}

function overlapDays(text: string): number {
  if (!/^\d{1,3}(\.\d{1,9})?$/.test(text) || Number(text) > 365) throw new InvalidArgumentError('expected a number of days from 0 to 365');
  return Number(text);
}
