import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_COHORT } from '../domain/delivery-settings.js';
import { SealPushError } from '../domain/errors.js';
import { printJson, withCore } from './context.js';

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
      const rows = list.map((app) => ({ appId: app.id, name: app.name, createdAt: new Date(app.createdAt).toISOString(), delivery: app.delivery }));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No apps yet: sealpush apps create NAME\n');
      for (const row of rows) process.stdout.write(`${row.appId}  ${row.createdAt}  ${row.delivery.mode.padEnd(6)}  ${row.name}\n`);
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
    .command('update <appId>')
    .description('change how an app delivers: direct, or cohort (one sealed envelope per group of clients on a fixed tick; docs/cohort.md)')
    .requiredOption('--delivery <mode>', 'direct | cohort')
    .option('--tick-ms <ms>', `cohort: time between envelopes (default ${DEFAULT_COHORT.tickMs})`, integerArgument)
    .option('--cohort-size <k>', `cohort: most clients sharing one envelope (default ${DEFAULT_COHORT.cohortSize})`, integerArgument)
    .option('--slot-bytes <list>', `cohort: slot size buckets, increasing (default ${DEFAULT_COHORT.slotBytes.join(',')})`, integerListArgument)
    .option('--slot-counts <list>', `cohort: slot count buckets, increasing (default ${DEFAULT_COHORT.slotCounts.join(',')})`, integerListArgument)
    .option('--json', 'print the new settings as JSON')
    .action(async (appId: string, options: UpdateOptions, command: Command) => {
      const { delivery, json, ...cohort } = options;
      const settings = await withCore(command, (core) => core.apps.updateDelivery(appId, delivery, cohort));
      if (json) return printJson({ appId, delivery: settings });
      if (settings.mode === 'direct') return void process.stdout.write(`App ${appId} now delivers direct.\n`);
      process.stdout.write(
        `App ${appId} now delivers in cohorts: a tick every ${settings.tickMs} ms, up to ${settings.cohortSize} clients per envelope,\n` +
          `  slot sizes ${settings.slotBytes.join(', ')} bytes, slot counts ${settings.slotCounts.join(', ')}.\n` +
          'Running servers switch within about a second: connected clients reconnect once and resume.\n',
      );
    });
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

interface UpdateOptions {
  delivery: string;
  tickMs?: number;
  cohortSize?: number;
  slotBytes?: number[];
  slotCounts?: number[];
  json?: boolean;
}

/** A whole number as typed; range checks are the domain's (delivery-settings.ts). */
function integerArgument(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

function integerListArgument(text: string): number[] {
  return text.split(',').map((part) => integerArgument(part.trim()));
}
