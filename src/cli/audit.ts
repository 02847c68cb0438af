import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Core } from '../compose/core.js';
import { auditCheckpointerOf, loadAuditKey, verifyAuditLog, type AuditExport, type AuditLogReport } from '../compose/audit.js';
import { base64urlDecode, base64urlEncode, hexDecode, hexEncode } from '../crypto/encoding.js';
import type { AuditCheckpoint } from '../domain/audit.js';
import { SealPushError, errorMessage } from '../domain/errors.js';
import { CommandExit, printJson, withCore } from './context.js';
import { progressBar } from './progress.js';

/** `audit verify` exits with this when the chain is not intact (1 and 2 are usage and config errors). */
export const EXIT_AUDIT_BROKEN = 3;
const EXPORT_FORMAT = 'sealpush-audit-export-v1';

/** The export file (docs/audit.md): the audit public key and every signed checkpoint. */
interface ExportFile {
  readonly format: typeof EXPORT_FORMAT;
  readonly exportedAt: string;
  readonly publicKey: string;
  readonly keyVersion: number;
  readonly checkpoints: readonly { seq: number; headHash: string; at: number; keyVersion: number; signature: string }[];
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log (docs/audit.md)');

  audit
    .command('export')
    .description('sign a checkpoint of the current head, then write every checkpoint and the audit public key as JSON, to keep elsewhere')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { out?: string }, command: Command) => {
      const file = await withCore(command, (core) => exportCheckpoints(core));
      const text = `${JSON.stringify(file, null, 2)}\n`;
      if (options.out === undefined) return void process.stdout.write(text);
      writeFileSync(options.out, text);
      process.stderr.write(`wrote ${file.checkpoints.length} checkpoints to ${options.out}\n`);
    });

  audit
    .command('verify')
    .description('check the audit keys against the master key (or audit.pinnedKeys), the whole chain and every checkpoint signature; exits 3 naming the first bad record')
    .option('--from-export <file>', 'also check against the key and checkpoints of an export kept elsewhere (bounds truncation)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { fromExport?: string; json?: boolean }, command: Command) => {
      const exported = options.fromExport === undefined ? undefined : readExport(options.fromExport);
      const report = await withCore(command, (core) => verify(core, exported), { signAppended: false });
      if (options.json) printJson(report);
      else if (report.ok) {
        process.stdout.write(`audit log intact: ${report.records} records, ${report.checkpoints} checkpoint signatures verified (head at ${report.headSeq})\n`);
        for (const key of report.keys) process.stdout.write(`  audit key version ${key.version} (fingerprint ${key.fingerprint}) anchored by ${key.anchoredBy.join(', ')}\n`);
      } else {
        process.stdout.write(`audit log NOT intact: first bad record ${report.problem!.seq} (${report.problem!.code}): ${report.problem!.reason}\n`);
      }
      if (!report.ok) throw new CommandExit(EXIT_AUDIT_BROKEN);
    });
}

async function exportCheckpoints(core: Core): Promise<ExportFile> {
  await (await auditCheckpointerOf(core)).tick(true);
  const key = await loadAuditKey(core);
  key.secret.fill(0);
  const checkpoints: ExportFile['checkpoints'][number][] = [];
  for (let after = 0; ; ) {
    const page = await core.store.auditCheckpoints(after, 1000);
    for (const c of page) {
      checkpoints.push({ seq: c.seq, headHash: hexEncode(c.headHash), at: c.at, keyVersion: c.keyVersion, signature: base64urlEncode(c.signature) });
    }
    if (page.length < 1000) break;
    after = page[page.length - 1]!.seq;
  }
  return { format: EXPORT_FORMAT, exportedAt: new Date(core.clock.now()).toISOString(), publicKey: base64urlEncode(key.publicKey), keyVersion: key.version, checkpoints };
}

/** The export's key anchors its key version too: a database holding another key for it fails. */
async function verify(core: Core, exported: AuditExport | undefined): Promise<AuditLogReport> {
  const progress = progressBar('verifying audit log');
  try {
    return await verifyAuditLog(core, { ...(exported ? { exported } : {}), onProgress: (done, total) => progress.update(done, total) });
  } finally {
    progress.end();
  }
}

function readExport(path: string): AuditExport {
  const bad = (why: string): SealPushError => new SealPushError('ERR_BAD_REQUEST', `${path} is not an audit export: ${why}`);
  let file: Partial<ExportFile>;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as Partial<ExportFile>;
  } catch (err) {
    throw bad(errorMessage(err));
  }
  if (file === null || typeof file !== 'object' || file.format !== EXPORT_FORMAT) throw bad(`format is not "${EXPORT_FORMAT}"`);
  if (!Array.isArray(file.checkpoints)) throw bad('no checkpoints array');
  try {
    const publicKey = base64urlDecode(String(file.publicKey));
    if (publicKey.byteLength !== 32) throw new TypeError('the public key is not 32 bytes');
    const checkpoints = file.checkpoints.map((c, i): AuditCheckpoint => {
      const whole = (n: unknown): number => {
        if (!Number.isSafeInteger(n) || (n as number) < 0) throw new TypeError(`checkpoint ${i}: not a whole number`);
        return n as number;
      };
      const headHash = hexDecode(String(c.headHash));
      if (headHash.byteLength !== 32) throw new TypeError(`checkpoint ${i}: headHash is not 32 bytes`);
      return { seq: whole(c.seq), headHash, at: whole(c.at), keyVersion: whole(c.keyVersion), signature: base64urlDecode(String(c.signature)) };
    });
    const keyVersion = file.keyVersion;
    if (!Number.isSafeInteger(keyVersion) || (keyVersion as number) < 1) throw new TypeError('keyVersion is not a whole number from 1');
    return { publicKey, keyVersion: keyVersion as number, checkpoints };
  } catch (err) {
    throw bad(errorMessage(err));
  }
}
