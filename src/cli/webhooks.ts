import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_FAILED_WEBHOOKS, MAX_FAILED_WEBHOOKS, MAX_WEBHOOK_SECRET_OVERLAP_MS, WebhookAdmin } from '../domain/usecases/webhook-endpoints.js';
import type { WebhookEndpointView } from '../domain/webhooks.js';
import type { Core } from '../compose/core.js';
import { printJson, withCore } from './context.js';

const admin = (core: Core): WebhookAdmin => new WebhookAdmin({ store: core.store, kms: core.kms, clock: core.clock });

function endpointLine(e: WebhookEndpointView): string {
  const state = e.state === 'active' ? '' : `  ${e.state} since ${e.state === 'paused' ? e.pausedAt : e.failingSince}`;
  return `${e.id}  ${e.url}  events ${e.events.map((t) => t.slice(8)).join(',')}${e.batch ? '  batch' : ''}${state}\n`;
}

/** `sealpush webhooks ...` (docs/webhooks.md): works whether or not a server runs. */
export function registerWebhooksCommands(program: Command): void {
  const webhooks = program.command('webhooks').description("manage an app's webhook endpoints: signed POSTs when its messages are delivered, acked or expire");

  webhooks
    .command('add <appId>')
    .description('add an endpoint; prints its signing secret (whsec_...) once: only its wrapped form is stored')
    .requiredOption('--url <url>', 'https URL to POST the events to')
    .option('--events <list>', 'comma-separated: delivered, acked, expired (default acked,expired)')
    .option('--batch', 'let one request carry several events ({"type": "batch", "events": [...]})')
    .option('--json', 'print {"id", "url", "events", "secret", ...} as JSON')
    .action(async (appId: string, options: { url: string; events?: string; batch?: boolean; json?: boolean }, command: Command) => {
      const added = await withCore(command, (core) => admin(core).add(appId, { url: options.url, events: options.events, batch: options.batch === true }));
      if (options.json) return printJson(added);
      process.stdout.write(endpointLine(added));
      process.stdout.write(`secret: ${added.secret}\nKeep it: it is shown only now. Verify each request with it (docs/webhooks.md).\n`);
    });

  webhooks
    .command('list <appId>')
    .description("list an app's endpoints and their state (active, failing, paused); never a secret")
    .option('--json', 'print the endpoints as JSON')
    .action(async (appId: string, options: { json?: boolean }, command: Command) => {
      const endpoints = await withCore(command, (core) => admin(core).list(appId));
      if (options.json) return printJson(endpoints);
      if (endpoints.length === 0) return void process.stdout.write(`No webhook endpoints for ${appId}: add one with sealpush webhooks add ${appId} --url URL\n`);
      for (const e of endpoints) process.stdout.write(endpointLine(e));
    });

  webhooks
    .command('remove <endpointId>')
    .description('remove an endpoint and the events still waiting for it')
    .option('--json', 'print {"removed"} as JSON')
    .action(async (endpointId: string, options: { json?: boolean }, command: Command) => {
      await withCore(command, (core) => admin(core).remove(endpointId));
      if (options.json) return printJson({ removed: endpointId });
      process.stdout.write(`Removed webhook endpoint ${endpointId}.\n`);
    });

  webhooks
    .command('rotate-secret <endpointId>')
    .description('a new signing secret, printed once; the old one keeps signing alongside it (two signatures) for the overlap')
    .option('--overlap-hours <hours>', `how long the old secret still signs, 0 to ${MAX_OVERLAP_HOURS} (default 24)`, hoursArgument, 24)
    .option('--json', 'print {"id", "secret", "previousSecretUntil", ...} as JSON')
    .action(async (endpointId: string, options: { overlapHours: number; json?: boolean }, command: Command) => {
      const rotated = await withCore(command, (core) => admin(core).rotateSecret(endpointId, undefined, options.overlapHours * 3600_000));
      if (options.json) return printJson(rotated);
      process.stdout.write(`secret: ${rotated.secret}\nThe previous secret also signs until ${rotated.previousSecretUntil ?? 'now'}.\n`);
    });

  webhooks
    .command('failed <appId>')
    .description('events that ran out of retries (oldest first): what they report, how often they were tried, and why the last try failed')
    .option('--limit <n>', `at most this many, 1 to ${MAX_FAILED_WEBHOOKS} (default ${DEFAULT_FAILED_WEBHOOKS})`, limitArgument, DEFAULT_FAILED_WEBHOOKS)
    .option('--json', 'print them as JSON')
    .action(async (appId: string, options: { limit: number; json?: boolean }, command: Command) => {
      const failed = await withCore(command, (core) => admin(core).failed(appId, options.limit));
      if (options.json) return printJson(failed);
      if (failed.length === 0) return void process.stdout.write('No failed webhook events.\n');
      for (const f of failed) {
        process.stdout.write(`${f.webhookId}  ${f.endpointId}  ${f.event.type} ${f.event.data.id} to ${f.event.data.to}  ${f.attempts} attempts, last: ${f.lastError ?? '-'}\n`);
      }
    });

  webhooks
    .command('retry <appId>')
    .description("send an app's failed events again, from now on the usual schedule, and resume its paused endpoints")
    .option('--endpoint <endpointId>', 'only this endpoint')
    .option('--json', 'print {"requeued"} as JSON')
    .action(async (appId: string, options: { endpoint?: string; json?: boolean }, command: Command) => {
      const requeued = await withCore(command, (core) => admin(core).retry(appId, options.endpoint));
      if (options.json) return printJson({ requeued });
      process.stdout.write(`${requeued} failed event(s) will be sent again; paused endpoints resumed.\n`);
    });
}

const MAX_OVERLAP_HOURS = MAX_WEBHOOK_SECRET_OVERLAP_MS / 3600_000;

function hoursArgument(text: string): number {
  const hours = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || hours > MAX_OVERLAP_HOURS) throw new InvalidArgumentError(`expected a number of hours from 0 to ${MAX_OVERLAP_HOURS}`);
  return hours;
}

function limitArgument(text: string): number {
  if (!/^[1-9]\d*$/.test(text) || Number(text) > MAX_FAILED_WEBHOOKS) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_FAILED_WEBHOOKS}`);
  return Number(text);
}
