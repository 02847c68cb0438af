/**
 * Where `publish` and `sign` find the server and the app's credentials: the URL from --url,
 * SEALPUSH_URL or the default; the app id from --app or SEALPUSH_APP_ID; the secret only from
 * an environment variable (SEALPUSH_APP_SECRET, or the one --secret-env names), never from
 * the command line, where `ps` and the shell history would show it.
 */
import { ConfigError } from '../config.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';
export const APP_SECRET_ENV = 'SEALPUSH_APP_SECRET';

export interface AppCredentialFlags {
  readonly url?: string;
  readonly app?: string;
  readonly secretEnv?: string;
}

export function serverUrl(flag: string | undefined): string {
  return flag ?? (process.env.SEALPUSH_URL || DEFAULT_SERVER_URL);
}

export function appIdFrom(flag: string | undefined): string {
  const appId = flag ?? process.env.SEALPUSH_APP_ID;
  if (!appId) throw new ConfigError('sealpush: no app id: give --app APPID or set SEALPUSH_APP_ID (`sealpush apps create NAME` prints it)');
  return appId;
}

/** The app id and secret; the secret's variable is named in any error, its value never. */
export function appCredentials(flags: AppCredentialFlags): { appId: string; secret: string; secretEnv: string } {
  const appId = appIdFrom(flags.app);
  const secretEnv = flags.secretEnv ?? APP_SECRET_ENV;
  const secret = process.env[secretEnv];
  if (!secret) {
    throw new ConfigError(
      `sealpush: no app secret: set ${secretEnv} to the secret \`sealpush apps create\` printed ` +
        '(it is read from the environment only: a secret on the command line shows in `ps`)',
    );
  }
  return { appId, secret, secretEnv };
}
