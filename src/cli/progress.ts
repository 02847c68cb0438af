/**
 * A progress bar on stderr, for long-running commands (`audit verify`, `keys rotate`). Drawn
 * only when stderr is a TTY (a script reading the output sees just the final summary) and at
 * most every 100 ms.
 */
export interface Progress {
  update(done: number, total: number): void;
  /** Clears the bar's line. */
  end(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  let drawnAt = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - drawnAt < REDRAW_MS && done < total) return;
      drawnAt = now;
      drawn = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(fraction * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${Math.floor(fraction * 100)}%`);
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
