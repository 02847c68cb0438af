/**
 * The lifecycle every bench server process shares: it announces itself with one JSON line
 * on stdout, and stops on SIGTERM, when its parent goes away (stdin closes), or at the
 * latest after BENCH_SERVER_MAX_MS (default 30 minutes), so no run leaves a server behind.
 */
export function announce(info: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(info)}\n`);
}

export function stopWhenAsked(stop: () => Promise<void>): void {
  let stopping = false;
  const go = (): void => {
    if (stopping) return;
    stopping = true;
    const hardExit = setTimeout(() => process.exit(0), 10_000);
    hardExit.unref();
    stop()
      .catch((err: unknown) => process.stderr.write(`bench server: stop failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', go);
  process.on('SIGINT', go);
  process.stdin.on('end', go);
  process.stdin.on('close', go);
  process.stdin.on('error', go);
  process.stdin.resume();
  const maxMs = Number(process.env.BENCH_SERVER_MAX_MS ?? 30 * 60_000);
  setTimeout(go, maxMs).unref();
}
