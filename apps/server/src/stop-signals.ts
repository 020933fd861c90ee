/**
 * What asks loop to stop: Ctrl-C (SIGINT), SIGTERM (a supervisor; pnpm's answer to a second Ctrl-C)
 * and SIGHUP (the terminal closed). A terminal's Ctrl-C goes to its whole foreground process group,
 * so the server gets it from the terminal and again from `node scripts/start.mjs` (which forwards
 * what it gets, pnpm's copy too): one Ctrl-C is several signals here.
 */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export interface StopOnSignalsOptions {
  /** After this long the process exits 1 however far the stop got (the next start sweeps the rest). */
  maxMs: number;
  /** Stops the server: no new work, the running agent's tree stopped, its task paused, the DB closed. */
  stop(): Promise<void>;
  onStart(signal: StopSignal): void;
  /** A signal during the stop (one note a second at most: the copies of one Ctrl-C are one press). */
  onRepeat(signal: StopSignal, leftMs: number): void;
  /** An uncaught exception or unhandled rejection: the server stops (exit 1). */
  onError(err: unknown): void;
  onTimeout(maxMs: number): void;
}

/**
 * The first signal starts the stop; nothing after it cuts it short. close-with-grace, used before,
 * took a second signal (or an error during the stop) as "exit now" and left the agent's tree
 * running (issue 19). Here a repeated signal only says how long is left, an error is logged and the
 * stop goes on, and the process exits once the stop is done: 0, or 1 after an error; at maxMs, 1.
 */
export function stopOnSignals(opts: StopOnSignalsOptions): void {
  let startedAt: number | undefined;
  let lastNote = 0;
  let exitCode = 0;
  const begin = () => {
    startedAt = Date.now();
    lastNote = startedAt;
    setTimeout(() => {
      opts.onTimeout(opts.maxMs);
      process.exit(1);
    }, opts.maxMs);
    opts.stop().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        opts.onError(err);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: StopSignal) => {
    const now = Date.now();
    if (startedAt === undefined) {
      opts.onStart(signal);
      begin();
    } else if (now - lastNote >= 1000) {
      lastNote = now;
      opts.onRepeat(signal, Math.max(0, startedAt + opts.maxMs - now));
    }
  };
  const onError = (err: unknown) => {
    exitCode = 1;
    opts.onError(err);
    if (startedAt === undefined) begin();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  // A closed terminal (EIO, after SIGHUP) or a closed pipe (EPIPE) ends the output, not the stop.
  for (const out of [process.stdout, process.stderr]) out.on("error", () => {});
}
