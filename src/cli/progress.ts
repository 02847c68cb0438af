/**
 * A progress bar on stderr, for long-running commands. Drawn only when stderr is a TTY (a
 * script reading the output sees none of it) and at most every 100 ms.
 */
export interface Progress {
  update(done: number, total: number): void;
  end(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => {}, end: () => {} };
  let drawnAt = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - drawnAt < 100 && done < total) return;
      drawnAt = now;
      drawn = true;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.floor(ratio * 100)}%`);
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
