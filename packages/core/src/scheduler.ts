import type { Repositories } from "@loop/db";
import type { Task } from "@loop/shared";
import type { AgentGate } from "./agents/index.ts";
import type { EventBus } from "./events.ts";
import { type Hold, plan, windowHolds } from "./loop/queue-plan.ts";
import type { Logger } from "./loop/run-context.ts";
import type { TaskRun } from "./loop/task-run.ts";
import type { StopCause } from "./loop/transitions.ts";
import type { Settings } from "./settings.ts";
import { storageReady } from "./storage-ready.ts";

export interface SchedulerDeps {
  repos: Repositories;
  bus: EventBus;
  settings: Settings;
  log: Logger;
  gate?: AgentGate | undefined;
  accepting: () => boolean;
  queuePaused: () => boolean;
  /** A run of a queued task (not started yet). */
  makeRun: (task: Task) => TaskRun;
  /** Ends a chained task whose predecessor did not end done (cancelled, with the reason). */
  cancelChained: (id: string, reason: string) => Promise<void>;
}

/**
 * The worker: starts queued tasks, up to LOOP_MAX_PARALLEL at once (1 by default: one after the
 * other, as before), never two in one directory unless both use worktrees, never one whose chain's
 * predecessor is not done yet, and (with more than one) never one needing an agent that is held: a
 * window at LOOP_PAUSE_AT_UTILIZATION, or another running task waiting out that agent's usage limit.
 * What starts and why the others wait is decided by loop/queue-plan.ts.
 */
export class Scheduler {
  readonly runs = new Map<string, TaskRun>();
  private readonly d: SchedulerDeps;
  private active = false;
  private started = false;
  private dirty = false;
  private wake: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  /** Running tasks waiting out an agent's usage limit (or a window), from their task.paused events. */
  private readonly limited = new Map<string, Hold>();
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;

  constructor(deps: SchedulerDeps) {
    this.d = deps;
    this.unsubscribe = deps.bus.subscribe((e) => {
      if (e.type === "task.paused") {
        const { agent, resumeAt } = e.data as { agent: Hold["agent"]; resumeAt: string };
        const until = new Date(resumeAt);
        const reason = `${agent} usage limit (${e.taskId} waits until ${until.toISOString()})`;
        this.limited.set(e.taskId, { agent, until, reason });
      } else if (e.type === "task.resumed" || e.type === "task.finished" || e.type === "task.interrupted") {
        this.limited.delete(e.taskId);
      }
    });
  }

  get maxParallel(): number {
    return this.d.settings.maxParallel;
  }

  start(): void {
    this.started = true;
    this.kick();
  }

  /** Looks at the queue again (a task was queued, resumed, cancelled; the queue was resumed). */
  kick(): void {
    if (!this.started || !this.d.accepting()) return;
    if (this.active) {
      this.poke();
      return;
    }
    this.active = true;
    void this.pump();
  }

  private poke(): void {
    this.dirty = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves when nothing runs and nothing can start now (or the worker stopped). */
  /** Stops one run from outside and waits for its end; false when no run here holds the task. */
  async stopRun(id: string, cause: StopCause): Promise<boolean> {
    const run = this.runs.get(id);
    if (!run) return false;
    run.requestStop(cause);
    await run.done;
    return true;
  }

  idle(): Promise<void> {
    if (!this.active) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Each running task, in the order they started. */
  running(): Task[] {
    return [...this.runs.values()].map((r) => r.task);
  }

  /** The agents no new task may use now (with more than one slot; a single slot waits inside its run as before). */
  holds(now = new Date()): Hold[] {
    if (this.maxParallel === 1) return [];
    const limited = [...this.limited].filter(([id]) => this.runs.has(id)).map(([, h]) => h);
    const windows = windowHolds(this.d.repos.limits.list(), this.d.settings.pauseAtUtilization, now);
    return [...limited, ...windows];
  }

  /** The plan for the queue as it is now: what starts and why each other queued task waits. */
  plan() {
    const queued = this.d.repos.tasks.listQueued().filter((t) => !this.runs.has(t.id));
    return plan({
      queued,
      running: this.running(),
      maxParallel: this.maxParallel,
      holds: this.holds(),
      status: (id) => this.d.repos.tasks.get(id)?.status,
      paused: this.d.queuePaused(),
    });
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.dirty = false;
        if (await this.startNext()) continue;
        if (this.runs.size === 0 && !this.dirty) break;
        if (!this.dirty) await new Promise<void>((r) => (this.wake = r));
      }
    } catch (err) {
      this.d.log.error({ err }, "worker stopped by an unexpected error");
    } finally {
      this.active = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private canStart = () =>
    this.d.accepting() && !this.d.queuePaused() && this.d.repos.tasks.countByStatus("queued") > 0;

  /** Starts one task if one may start now; true when something changed (look again at once). */
  private async startNext(): Promise<boolean> {
    const { repos, bus, log, gate } = this.d;
    if (!this.d.accepting() || this.d.queuePaused()) return false;
    // A chain whose first task ended short of done ends now, whether or not a slot is free.
    const { cancels } = this.plan();
    let ended = 0;
    for (const [id, reason] of cancels) {
      try {
        await this.d.cancelChained(id, reason);
        ended++;
      } catch (err) {
        // A locked database or a task deleted meanwhile: the next look at the queue tries again.
        log.warn({ err, taskId: id }, "could not end a chained task yet");
      }
    }
    if (ended > 0) return true;
    if (this.runs.size >= this.maxParallel) return false;
    // Storage that failed the last run must work again before the next one starts.
    if (!(await storageReady(repos, bus, log, this.d.accepting))) return false;
    if (gate && !(await gate.ready(() => this.canStart()))) return false;
    const next = this.plan().start[0];
    if (!next) {
      this.armTimer();
      return false;
    }
    const run = this.d.makeRun(next);
    this.runs.set(next.id, run);
    void run.execute().finally(() => {
      this.runs.delete(next.id);
      this.limited.delete(next.id);
      this.poke();
    });
    return true;
  }

  /** A hold that ends by itself (a window's reset) looks at the queue again then. */
  private armTimer(): void {
    const ends = this.holds()
      .map((h) => h.until?.getTime() ?? Number.POSITIVE_INFINITY)
      .filter(Number.isFinite);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (ends.length === 0) return;
    const ms = Math.max(0, Math.min(...ends) - Date.now()) + 50;
    this.timer = setTimeout(() => this.kick(), Math.min(ms, 2 ** 31 - 1));
    this.timer.unref();
  }
}
