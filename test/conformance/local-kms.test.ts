import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalKms } from '../../src/drivers/kms/local.js';
import { runKmsConformance } from './kms.suite.js';

runKmsConformance('local (key file)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpush-kms-'));
  return { kms: await openLocalKms({ dataDir: join(dir, 'data') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

runKmsConformance('local (environment key)', async () => ({
  kms: await openLocalKms({ masterKey: 'ab'.repeat(32) }),
  cleanup: async () => {},
}));
