/**
 * A data directory made with the real CLI (`init`, or `migrate` on MySQL, then `apps create`)
 * and a config file beside it, for a node whose clock the scenario steps.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../test/helpers/process.js';
import { ChaosNode } from '../lib/node.js';
import { SteppedClock } from './clock.js';

export interface CreatedApps {
  /** The environment every CLI call and `serve` runs with. */
  readonly env: Record<string, string>;
  readonly apps: readonly { appId: string; secret: string }[];
  /** Runs `sealpush --data DIR ...args` in `env`; its stdout, or throws with its stderr. */
  cli(args: string[]): Promise<string>;
}

export async function createApps(dataDir: string, names: readonly string[], options: { env?: Record<string, string>; config?: object } = {}): Promise<CreatedApps> {
  const configFile = join(dataDir, 'clock-steps-config.json');
  writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  const env: Record<string, string> = { ...options.env, SEALPUSH_CONFIG: configFile };
  const cli = async (args: string[]): Promise<string> => {
    const result = await runCli(['--data', dataDir, ...args], env);
    if (result.code !== 0) throw new Error(`sealpush ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await cli(env.SEALPUSH_STORE === undefined ? ['init'] : ['migrate']);
  const apps = [];
  for (const name of names) apps.push(JSON.parse(await cli(['apps', 'create', name, '--json'])) as { appId: string; secret: string });
  return { env, apps, cli };
}

export interface SteppedNode extends CreatedApps {
  readonly node: ChaosNode;
  readonly clock: SteppedClock;
}

/** createApps, then `sealpush serve` on that data with its wall clock following a SteppedClock (at 0 to begin with). */
export async function startSteppedNode(dataDir: string, names: readonly string[], options: { env?: Record<string, string>; config?: object } = {}): Promise<SteppedNode> {
  const clock = new SteppedClock(join(dataDir, 'clock-offset'));
  const created = await createApps(dataDir, names, options);
  const node = await ChaosNode.start(dataDir, { ...created.env, ...clock.env() });
  return { ...created, node, clock };
}
