/**
 * A small progress bar on stderr: the run is a list of units (one server, one repetition,
 * one case); each shows its own fraction done. On a terminal the bar redraws in place; in a
 * log (stderr not a TTY) each unit prints one line as it starts, so CI logs stay readable.
 */
export class Progress {
  private done = 0;
  private label = '';
  private fraction = 0;
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(
    private total: number,
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Called as each unit starts (the bench records which code each unit ran). */
    private readonly onBegin: (label: string) => void = () => undefined,
  ) {
    this.tty = enabled && stream.isTTY === true;
  }

  /** Starts the next unit of work. */
  begin(label: string): void {
    this.onBegin(label);
    this.label = label;
    this.fraction = 0;
    if (!this.enabled) return;
    if (this.tty) this.draw(true);
    else this.stream.write(`[${this.done + 1}/${this.total}] ${label}\n`);
  }

  /** Fraction (0..1) of the current unit done, and an optional detail. */
  update(fraction: number, detail?: string): void {
    this.fraction = Math.max(0, Math.min(1, fraction));
    if (detail !== undefined) this.detail = detail;
    if (this.tty) this.draw(false);
  }

  end(): void {
    this.done = Math.min(this.total, this.done + 1);
    this.fraction = 0;
    this.detail = '';
    if (this.tty) this.draw(true);
  }

  /** Writes a line above the bar. */
  note(line: string): void {
    if (!this.enabled) return;
    if (this.tty) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    if (this.tty) this.draw(true);
  }

  finish(): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
    if (this.enabled) this.stream.write(`done: ${this.total} units in ${((Date.now() - this.started) / 1000).toFixed(1)} s\n`);
  }

  private detail = '';

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 30;
    const overall = this.total === 0 ? 1 : (this.done + this.fraction) / this.total;
    const filled = Math.round(overall * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const elapsed = Math.round((now - this.started) / 1000);
    const columns = this.stream.columns ?? 120;
    const text = `[${bar}] ${String(Math.floor(overall * 100)).padStart(3)}% ${elapsed}s ${this.label}${this.detail ? ` ${this.detail}` : ''}`;
    this.stream.write(`\r\x1b[2K${text.slice(0, columns - 1)}`);
  }
}
