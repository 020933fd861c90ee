export type WatchdogReason = "timeout" | "idle_timeout" | "lingered";

/**
 * The timers that may stop a run, one reason each (like execa's lib/terminate/): the wall clock,
 * no progress for idleMs, and, once the agent has answered, the exit grace. After the answer the
 * wall clock and the idle timer are off: an agent that answered can only linger, never fail.
 */
export class Watchdog {
  private wall: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private answered = false;
  private stopped = false;
  private readonly opts: {
    timeoutMs: number;
    idleMs?: number | undefined;
    exitGraceMs?: number | undefined;
    fire(reason: WatchdogReason): void;
  };

  constructor(opts: Watchdog["opts"]) {
    this.opts = opts;
    this.wall = setTimeout(() => this.fire("timeout"), opts.timeoutMs);
    this.progress();
  }

  /** Output that counts as progress: the idle timer starts over. */
  progress(): void {
    if (this.stopped || this.answered || !this.opts.idleMs) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.fire("idle_timeout"), this.opts.idleMs);
  }

  /** The agent gave its answer: only the exit grace is left (when it is set). */
  answer(): void {
    if (this.stopped || this.answered) return;
    this.answered = true;
    clearTimeout(this.wall);
    clearTimeout(this.idle);
    if (this.opts.exitGraceMs) this.grace = setTimeout(() => this.fire("lingered"), this.opts.exitGraceMs);
  }

  get hasAnswered(): boolean {
    return this.answered;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.wall);
    clearTimeout(this.idle);
    clearTimeout(this.grace);
  }

  private fire(reason: WatchdogReason): void {
    if (this.stopped) return;
    this.stop();
    this.opts.fire(reason);
  }
}
