import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes `text` to `path`, readable by its owner only (0600), replacing it atomically: a
 * reader (or a crash) sees the old file or the new one, never half of one. For files that
 * hold private keys (a listener's session) or may come to (a config file).
 */
export function writePrivateFile(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  rmSync(temp, { force: true }); // left by a crash, perhaps with another mode: 'wx' below must create it
  writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
