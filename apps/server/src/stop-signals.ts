import closeWithGrace from "close-with-grace";

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
  /** A signal during the stop (throttled to one a second: the copies of one Ctrl-C are one press). */
  onRepeat(signal: StopSignal, leftMs: number): void;
  onError(err: unknown): void;
  onTimeout(maxMs: number): void;
}

/**
 * The first signal starts the stop; the ones after it never cut it short. close-with-grace would
 * take a second signal as "exit now" and leave the agent's tree running (issue 19): here a repeat
 * only says how long is left, and the process exits once the tree is stopped (0), or at maxMs (1).
 * close-with-grace still handles a crash (uncaughtException, unhandledRejection) and the cap.
 */
export function stopOnSignals(opts: StopOnSignalsOptions): void {
  let startedAt: number | undefined;
  let lastNote = 0;
  const grace = closeWithGrace(
    { delay: opts.maxMs, logger: false, skip: [...STOP_SIGNALS], onTimeout: opts.onTimeout },
    async ({ err }) => {
      startedAt ??= Date.now();
      if (err) opts.onError(err);
      await opts.stop();
    },
  );
  const onSignal = (signal: StopSignal) => {
    const now = Date.now();
    if (startedAt === undefined) {
      startedAt = now;
      lastNote = now;
      opts.onStart(signal);
      void grace.close();
    } else if (now - lastNote >= 1000) {
      lastNote = now;
      opts.onRepeat(signal, Math.max(0, startedAt + opts.maxMs - now));
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
}
