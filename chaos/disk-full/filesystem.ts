/**
 * A small filesystem of its own for a data directory: a tmpfs with a size limit, mounted on
 * an empty directory, that the disk-full scenario fills and then grows while the node runs.
 * Needs mount(8) and the right to mount (root, or CAP_SYS_ADMIN); `mountPermitted` says.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(args: readonly string[]): { ok: boolean; err: string } {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  return { ok: result.status === 0, err: `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim() };
}

function mountTmpfs(dir: string, sizeKiB: number): { ok: boolean; err: string } {
  return run(['mount', '-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir]);
}

/** Whether this process may mount a tmpfs (tried on a throwaway directory, unmounted at once). */
export function mountPermitted(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'sealpush-mount-probe-'));
  try {
    if (!mountTmpfs(dir, 64).ok) return false;
    return run(['umount', dir]).ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class SmallFilesystem {
  private constructor(readonly dir: string, private sizeKiB: number) {}

  /** Mounts a tmpfs of `sizeKiB` on a new temporary directory. */
  static mount(sizeKiB: number): SmallFilesystem {
    const dir = mkdtempSync(join(tmpdir(), 'sealpush-diskfull-'));
    const mounted = mountTmpfs(dir, sizeKiB);
    if (!mounted.ok) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot mount a tmpfs on ${dir}: ${mounted.err}`);
    }
    return new SmallFilesystem(dir, sizeKiB);
  }

  get size(): number {
    return this.sizeKiB;
  }

  /** Bytes still free for files (statfs), as the node's writes see it. */
  freeBytes(): number {
    const out = spawnSync('stat', ['-f', '-c', '%a %S', this.dir], { encoding: 'utf8' }).stdout.trim().split(' ');
    return Number(out[0]) * Number(out[1]);
  }

  /** Grows (or shrinks) the limit in place: files and open handles stay as they are. */
  resize(sizeKiB: number): void {
    const remounted = run(['mount', '-o', `remount,size=${sizeKiB}k`, this.dir]);
    if (!remounted.ok) throw new Error(`cannot remount ${this.dir} with size ${sizeKiB}k: ${remounted.err}`);
    this.sizeKiB = sizeKiB;
  }

  /** Unmounts (lazily, should a process still hold a file there) and removes the mount point. */
  unmount(): void {
    run(['umount', '-l', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
