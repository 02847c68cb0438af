import { InvalidArgumentError, type Command } from 'commander';
import { RequestSigner, type RequestToSign } from '../app/signing.js';
import { SIGNATURE_WINDOW_SECONDS } from '../crypto/request-signature.js';
import { SealPushError, errorMessage } from '../domain/errors.js';
import { appCredentials, type AppCredentialFlags } from './app-credentials.js';
import { printJson } from './context.js';

/**
 * `sealpush sign METHOD PATH [BODY]`: the Authorization header value for one request, for
 * curl or any HTTP client (Centrifugo's `gentoken`). Signed by the back-end SDK's signer, the
 * one implementation of docs/api.md's scheme on the publisher's side. Each value carries a
 * fresh nonce: it is good for one request, within SIGNATURE_WINDOW_SECONDS.
 */
export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .argument('<method>', 'GET, POST or DELETE', requestMethod)
    .argument('<path>', 'the request target exactly as sent: /v1/... plus any ?query', requestPath)
    .argument('[body]', 'the body exactly as sent (POST only)')
    .description('print the Authorization header value for one signed REST request, for curl; good for one request within 300 s (docs/cli.md)')
    .option('--app <appId>', 'app id (env SEALPUSH_APP_ID)')
    .option('--secret-env <var>', 'environment variable holding the app secret (default SEALPUSH_APP_SECRET)')
    .option('--json', 'print {"authorization", "method", "path", "validUntil"} as JSON')
    .action(async (method: RequestToSign['method'], path: string, body: string | undefined, options: AppCredentialFlags & { json?: boolean }) => {
      if (body !== undefined && method !== 'POST') throw new SealPushError('ERR_BAD_REQUEST', `a ${method} request has no body`);
      const { appId, secret, secretEnv } = appCredentials(options);
      let signer: RequestSigner;
      try {
        signer = new RequestSigner(appId, secret);
      } catch (err) {
        throw new SealPushError('ERR_BAD_REQUEST', `${secretEnv}: ${errorMessage(err)}`);
      }
      const request: RequestToSign = { method, pathWithQuery: path, body: new TextEncoder().encode(body ?? '') };
      const now = Date.now();
      const authorization = await signer.authorization(request, now);
      if (!options.json) return void process.stdout.write(`${authorization}\n`);
      const validUntil = new Date((Math.floor(now / 1000) + SIGNATURE_WINDOW_SECONDS) * 1000).toISOString();
      printJson({ authorization, method, path, validUntil });
    });
}

function requestMethod(text: string): RequestToSign['method'] {
  const method = text.toUpperCase();
  if (method === 'GET' || method === 'POST' || method === 'DELETE') return method;
  throw new InvalidArgumentError('METHOD must be GET, POST or DELETE');
}

function requestPath(text: string): string {
  if (!text.startsWith('/')) throw new InvalidArgumentError('PATH must start with / (e.g. /v1/messages)');
  return text;
}
