import { createPublicKey, type JsonWebKeyInput } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_COHORT } from '../domain/delivery-settings.js';
import type { DeliverySettings } from '../domain/types.js';
import { SealPushError } from '../domain/errors.js';
import { AppLifecycle, DEFAULT_SECRET_OVERLAP_HOURS, MAX_SECRET_OVERLAP_HOURS } from '../domain/usecases/app-lifecycle.js';
import { printJson, withCore } from './context.js';
import { confirmed } from './confirm.js';

export function registerAppsCommands(program: Command): void {
  const apps = program.command('apps').description('manage publisher apps (works whether or not a server runs)');

  apps
    .command('create <name>')
    .description('create an app and print its id and secret (the secret is shown once)')
    .option('--json', 'print {"appId", "secret"} as JSON')
    .option('--delivery <mode>', 'direct (default) | cohort, with the cohort defaults (see apps update)')
    .action(async (name: string, options: { json?: boolean; delivery?: string }, command: Command) => {
      const created = await withCore(command, async (core) => {
        // Checked before anything is created, so a bad mode leaves no app behind.
        if (options.delivery !== undefined && options.delivery !== 'direct' && options.delivery !== 'cohort') {
          throw new SealPushError('ERR_BAD_REQUEST', 'delivery must be "direct" or "cohort"');
        }
        const app = await core.apps.create(name);
        if (options.delivery === 'cohort') await core.apps.updateDelivery(app.appId, 'cohort');
        return app;
      });
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
      const rows = list.map((app) => ({
        appId: app.id,
        name: app.name,
        createdAt: new Date(app.createdAt).toISOString(),
        delivery: app.delivery,
        receipts: app.receipts === true,
      }));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No apps yet: sealpush apps create NAME\n');
      for (const row of rows) {
        process.stdout.write(`${row.appId}  ${row.createdAt}  ${row.delivery.mode.padEnd(6)}  receipts ${row.receipts ? 'on ' : 'off'}  ${row.name}\n`);
      }
    });

  apps
    .command('rotate-secret <appId>')
    .description('issue a new app secret (shown once); the old one keeps verifying for the overlap, then only the new one does (docs/api.md)')
    .option('--overlap-hours <h>', `how long the old secret stays valid (default ${DEFAULT_SECRET_OVERLAP_HOURS}; 0 refuses it at once; at most ${MAX_SECRET_OVERLAP_HOURS})`, overlapHours, DEFAULT_SECRET_OVERLAP_HOURS)
    .option('--json', 'print {"appId", "secret", "previousSecretValidUntil"} as JSON')
    .action(async (appId: string, options: { overlapHours: number; json?: boolean }, command: Command) => {
      const rotated = await withCore(command, (core) => new AppLifecycle(core).rotateSecret(appId, options.overlapHours));
      const until = new Date(rotated.previousNotAfter).toISOString();
      if (options.json) return printJson({ appId, secret: rotated.secret, previousSecretValidUntil: until });
      process.stdout.write(
        `New secret of app ${appId}\n  secret: ${rotated.secret}\n` +
          'The secret is shown once and stored only wrapped by the master key: keep it now.\n' +
          (options.overlapHours === 0
            ? 'The old secret is refused from now on (running servers switch within about a second).\n'
            : `The old secret keeps working until ${until}: give the new one to every back end before then.\n`),
      );
    });

  apps
    .command('delete <appId>')
    .description('delete an app and everything of it: its clients (crypto-shredded, as clients forget), messages, receipts, keys and secrets (docs/forget.md)')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .option('--json', 'print {"appId", "name", "clients", "messagesDeleted", "receiptsDeleted", "jwtKeysDeleted", "journalScrubbed"} as JSON')
    .action(async (appId: string, options: { yes?: boolean; json?: boolean }, command: Command) => {
      if (options.yes !== true && !(await confirmed(`Delete app ${appId} with all its clients and messages? This cannot be undone. Type the app id to confirm: `, appId))) {
        throw new SealPushError('ERR_BAD_REQUEST', `Not deleted: confirm by typing the app id, or pass --yes (sealpush apps delete ${appId} --yes)`);
      }
      const deleted = await withCore(command, (core) => new AppLifecycle(core).delete(appId));
      const { name, clients, messages, receipts, jwtKeys, journalScrubbed } = deleted;
      if (options.json) return printJson({ appId, name, clients, messagesDeleted: messages, receiptsDeleted: receipts, jwtKeysDeleted: jwtKeys, journalScrubbed });
      process.stdout.write(
        `Deleted app ${appId} ("${name}"): ${clients} client(s) crypto-shredded, ${messages} message(s), ${receipts} receipt(s) ` +
          `and ${jwtKeys} bearer-token key(s) deleted.\n` +
          'Its credentials are refused and its clients disconnected on running servers within about a second. Backups taken before now still hold its data: see docs/forget.md.\n',
      );
    });

  apps
    .command('jwt-key <appId>')
    .description('register a key for the app\'s bearer tokens (Authorization: Bearer <JWT>), found by issuer and kid')
    .requiredOption('--issuer <iss>', 'the tokens\' iss claim')
    .requiredOption('--kid <kid>', 'the tokens\' kid header')
    .requiredOption('--alg <alg>', 'EdDSA | ES256 (give --public-key) | HS256 (a secret is generated and shown once)')
    .option('--public-key <file>', 'the public key, as a JWK (JSON) or PEM file')
    .option('--json', 'print the result as JSON')
    .action(async (appId: string, options: JwtKeyOptions, command: Command) => {
      const publicJwk = options.publicKey === undefined ? undefined : publicJwkFrom(options.publicKey);
      const input = { issuer: options.issuer, kid: options.kid, alg: options.alg, ...(publicJwk === undefined ? {} : { publicJwk }) };
      const added = await withCore(command, (core) => core.apps.addJwtKey(appId, input));
      if (options.json) return printJson({ appId, issuer: options.issuer, kid: options.kid, alg: options.alg, ...added });
      process.stdout.write(`Registered ${options.alg} key "${options.kid}" of issuer "${options.issuer}" for app ${appId}.\n`);
      if (added.secret) {
        process.stdout.write(`  HS256 secret (base64url): ${added.secret}\nThe secret is shown once and stored only wrapped by the master key: keep it now.\n`);
      }
    });

  apps
    .command('signing-key <appId>')
    .description('register the Ed25519 public key that must sign every message of the app (publisher signatures; docs/relay-blind.md)')
    .option('--public-key <key>', 'the public key: PEM (SPKI), a JWK, base64url of its 32 raw bytes, or a file holding one of those')
    .option('--remove', 'remove the key: the server stops requiring signatures (clients with publisherKey still do)')
    .option('--json', 'print the result as JSON')
    .action(async (appId: string, options: { publicKey?: string; remove?: boolean; json?: boolean }, command: Command) => {
      if ((options.publicKey === undefined) === (options.remove !== true)) {
        throw new SealPushError('ERR_BAD_REQUEST', 'give exactly one of --public-key and --remove');
      }
      const key = options.remove ? null : ed25519PublicKeyFrom(options.publicKey!);
      await withCore(command, (core) => core.apps.setSigningKey(appId, key));
      const publicKey = key === null ? null : Buffer.from(key).toString('base64url');
      if (options.json) return printJson({ appId, signingKey: publicKey });
      process.stdout.write(
        key === null
          ? `App ${appId} has no signing key now: its messages are no longer required to be signed.\n`
          : `App ${appId} now requires every message to be signed by Ed25519 key ${publicKey}.\n` +
              'Running servers enforce it within about a second; give the same key to clients as publisherKey.\n',
      );
    });

  apps
    .command('update <appId>')
    .description('change how an app delivers (direct, or cohort: one sealed envelope per group of clients on a fixed tick; docs/cohort.md) and whether its clients sign their ACKs (receipts; docs/receipts.md)')
    .option('--delivery <mode>', 'direct | cohort')
    .option('--tick-ms <ms>', `cohort: time between envelopes (default ${DEFAULT_COHORT.tickMs})`, integerArgument)
    .option('--cohort-size <k>', `cohort: most clients sharing one envelope (default ${DEFAULT_COHORT.cohortSize})`, integerArgument)
    .option('--slot-bytes <list>', `cohort: slot size buckets, increasing (default ${DEFAULT_COHORT.slotBytes.join(',')})`, integerListArgument)
    .option('--slot-counts <list>', `cohort: slot count buckets, increasing (default ${DEFAULT_COHORT.slotCounts.join(',')})`, integerListArgument)
    .option('--receipts <on|off>', 'signed ACKs, proof of delivery (default off; they cost server CPU per ACK)')
    .option('--json', 'print the new settings as JSON')
    .action(async (appId: string, options: UpdateOptions, command: Command) => {
      const { delivery, receipts, json, ...cohort } = options;
      const changes = { delivery, cohort, ...(receipts === undefined ? {} : { receipts: onOff(receipts) }) };
      const settings = await withCore(command, (core) => core.apps.update(appId, changes));
      if (json) return printJson({ appId, ...settings });
      if (delivery !== undefined) process.stdout.write(deliveryReport(appId, settings.delivery));
      if (receipts !== undefined) {
        process.stdout.write(
          settings.receipts
            ? `App ${appId} now has receipts on: its clients sign their ACKs (GET /v1/messages/:id/receipt).\n`
            : `App ${appId} now has receipts off: its clients send plain ACKs, and new messages get no receipt.\n`,
        );
      }
      process.stdout.write('Running servers switch within about a second: connected clients reconnect once and resume.\n');
    });
}

function deliveryReport(appId: string, settings: DeliverySettings): string {
  if (settings.mode === 'direct') return `App ${appId} now delivers direct.\n`;
  return (
    `App ${appId} now delivers in cohorts: a tick every ${settings.tickMs} ms, up to ${settings.cohortSize} clients per envelope,\n` +
    `  slot sizes ${settings.slotBytes.join(', ')} bytes, slot counts ${settings.slotCounts.join(', ')}.\n`
  );
}

/** `--receipts on|off`; anything else is ERR_BAD_REQUEST before anything is written. */
function onOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new SealPushError('ERR_BAD_REQUEST', '--receipts must be on or off');
}

interface JwtKeyOptions {
  issuer: string;
  kid: string;
  alg: string;
  publicKey?: string;
  json?: boolean;
}

/** A public key file as a JWK: JSON as is, or PEM (SPKI) through node:crypto. */
function publicJwkFrom(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  if (text.trimStart().startsWith('{')) return JSON.parse(text) as unknown;
  return createPublicKey(text).export({ format: 'jwk' });
}

/** An Ed25519 public key, inline or in a file, as its 32 raw bytes; ERR_BAD_REQUEST otherwise. */
function ed25519PublicKeyFrom(value: string): Uint8Array {
  const bad = () => new SealPushError('ERR_BAD_REQUEST', '--public-key must be an Ed25519 public key: PEM, JWK, base64url of 32 bytes, or a file of one');
  let text = value.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(text) && !text.startsWith('{') && !text.startsWith('-----BEGIN')) {
    try {
      text = readFileSync(text, 'utf8').trim();
    } catch {
      throw bad();
    }
  }
  if (/^[A-Za-z0-9_-]{43}$/.test(text)) return Buffer.from(text, 'base64url');
  let jwk: { kty?: unknown; crv?: unknown; x?: unknown; d?: unknown };
  try {
    const key = text.startsWith('{') ? createPublicKey({ key: JSON.parse(text) as JsonWebKeyInput['key'], format: 'jwk' }) : createPublicKey(text);
    jwk = key.export({ format: 'jwk' });
  } catch {
    throw bad();
  }
  if (text.startsWith('{') && (JSON.parse(text) as { d?: unknown }).d !== undefined) {
    throw new SealPushError('ERR_BAD_REQUEST', 'that is a private key: register the public half only');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw bad();
  return Buffer.from(jwk.x, 'base64url');
}

interface UpdateOptions {
  delivery?: string;
  receipts?: string;
  tickMs?: number;
  cohortSize?: number;
  slotBytes?: number[];
  slotCounts?: number[];
  json?: boolean;
}

/** Hours as typed, fractions allowed; the range is the domain's (app-lifecycle.ts). */
function overlapHours(text: string): number {
  if (!/^\d{1,4}(\.\d{1,6})?$/.test(text)) throw new InvalidArgumentError(`expected a number of hours from 0 to ${MAX_SECRET_OVERLAP_HOURS}`);
  return Number(text);
}

/** A whole number as typed; range checks are the domain's (delivery-settings.ts). */
function integerArgument(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

function integerListArgument(text: string): number[] {
  return text.split(',').map((part) => integerArgument(part.trim()));
}
