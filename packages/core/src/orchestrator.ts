import { type Repositories, retryBusy } from "@loop/db";
import { AppError, canDelete, canResume, isTerminal, MAX_ITERATIONS_LIMIT, type Task } from "@loop/shared";
import { type AgentsFactory, cliAgents } from "./agents/index.ts";
import { ArtifactStore } from "./artifacts.ts";
import type { EventBus } from "./events.ts";
import { isolationFields, removeIsolation } from "./loop/isolation.ts";
import { chainBroken, chainProblem } from "./loop/queue-plan.ts";
import type { Logger } from "./loop/run-context.ts";
import { TaskRun } from "./loop/task-run.ts";
import { type Budget, type Budgets, budgetDefaults, rebudget, resumePoint } from "./loop/transitions.ts";
import {
  type OrchestratorDeps,
  QUEUE_PAUSED,
  type QueueMove,
  type QueueState,
  rolesFor,
  type SubmitInput,
  silent,
} from "./orchestrator-deps.ts";
import { taskMarkdown } from "./prompts/index.ts";
import { Scheduler } from "./scheduler.ts";
import { resolveSettings, type Settings } from "./settings.ts";

export type { Logger } from "./loop/run-context.ts";
export type { QueueMove, QueueState, SubmitInput } from "./orchestrator-deps.ts";

type Filed = SubmitInput &
  Pick<
    Task,
    | "maxIterations"
    | "isolation"
    | "retryOf"
    | "worker"
    | "reviewer"
    | "checkCommand"
    | "checkTimeoutMs"
    | "after"
    | Budget
  >;

const reopened = { statusReason: null, finishedAt: null } as const;

/**
 * The queue: submit, cancel, resume, retry, delete, queue order and pause. The scheduler
 * (scheduler.ts) starts the runs (loop/task-run.ts): one at a time unless LOOP_MAX_PARALLEL says more.
 */
export class Orchestrator {
  readonly artifacts: ArtifactStore;
  readonly settings: Settings;
  private readonly repos: Repositories;
  private readonly bus: EventBus;
  private readonly log: Logger;
  private accepting = true;
  private readonly closing = new AbortController();
  private readonly agents: AgentsFactory;
  readonly scheduler: Scheduler;

  constructor(deps: OrchestratorDeps) {
    this.repos = deps.repos;
    this.bus = deps.bus;
    this.settings = resolveSettings(deps.settings);
    this.log = deps.logger ?? silent;
    this.artifacts = new ArtifactStore(this.settings.artifactsDir);
    this.agents = deps.agents ?? cliAgents(this.settings);
    this.scheduler = new Scheduler({
      repos: this.repos,
      bus: this.bus,
      settings: this.settings,
      log: this.log,
      gate: deps.gate,
      accepting: () => this.accepting,
      queuePaused: () => this.queuePaused,
      makeRun: (task) => this.makeRun(task),
      cancelChained: (id, reason) => this.endQueued(id, reason).then(() => {}),
    });
  }

  /** Starts working the queue (after the start-up recovery, see recovery.ts). */
  start(): void {
    this.scheduler.start();
  }

  async submit(input: SubmitInput): Promise<Task> {
    this.assertAccepting();
    return this.file({
      ...budgetDefaults(input, this.settings),
      ...rolesFor(input, this.settings),
      maxIterations: input.maxIterations ?? this.settings.defaultMaxIterations,
      isolation: input.isolation ?? "none",
      retryOf: null,
      checkCommand: input.checkCommand?.trim() || this.settings.checkCommand,
      checkTimeoutMs: input.checkTimeoutMs ?? this.settings.checkTimeoutMs,
      allowedCommands: (input.allowedCommands ?? []).map((c) => c.trim()).filter(Boolean),
      after: input.after ?? null,
    });
  }

  /** Starts over: a new queued task with the same inputs as a finished one. */
  async retry(id: string): Promise<Task> {
    const old = this.get(id);
    if (!isTerminal(old.status) && !this.stopped(old)) {
      throw new AppError(
        "not_retryable",
        `Task ${id} is ${label(old.status)}; only a finished or interrupted task can be retried (resume continues a paused one)`,
      );
    }
    this.assertAccepting();
    // A chain whose first task ended short of done would only cancel the retry again: it runs unchained.
    const first = old.after ? this.repos.tasks.get(old.after)?.status : undefined;
    const after = first && !chainBroken(first) ? old.after : null;
    return this.file({ ...old, retryOf: old.id, after });
  }

  /**
   * Queues a paused, failed, cancelled or needs_attention task again, to continue after its last finished
   * agent run with its stored history; `extraIterations` raises its cap, `inTx` runs in its transaction.
   */
  async resume(id: string, extraIterations = 0, caps: Budgets = {}, inTx?: () => void): Promise<Task> {
    const task = rebudget(this.get(id), caps);
    this.assertAccepting();
    const running = this.scheduler.runs.get(id);
    if (running) {
      throw new AppError(
        "not_resumable",
        `Task ${id} is ${label(running.task.status)} in this server; it goes on by itself`,
      );
    }
    if (!canResume(task.status)) {
      throw new AppError(
        "not_resumable",
        `Task ${id} is ${label(task.status)}; only a paused, failed, cancelled or needs-attention task can be resumed`,
      );
    }
    const maxIterations = Math.min(MAX_ITERATIONS_LIMIT, task.maxIterations + extraIterations);
    const point = resumePoint(this.repos.iterations.texts(id), maxIterations, task);
    if (!point.ok) throw new AppError("not_resumable", `Task ${id} cannot be resumed: ${point.reason}`);
    const queued = await this.write(() =>
      this.repos.transaction(() => {
        this.assertQueueRoom();
        const t = this.repos.tasks.requeue(id, { ...caps, ...reopened, maxIterations });
        this.bus.taskUpdated(id, { ...caps, ...reopened, maxIterations, status: "queued" });
        this.bus.send(id, null, "task.requeued", { maxIterations, from: point.from });
        inTx?.();
        return t;
      }),
    );
    this.log.info({ taskId: id, from: point.from }, "task resumed");
    this.kick();
    return queued;
  }

  /** Cancels a queued or paused task at once; a running one after its agent's process tree has stopped. */
  async cancel(id: string): Promise<Task> {
    let task = this.get(id);
    const run = this.scheduler.runs.get(id);
    if (run) {
      run.requestStop({ kind: "user" });
      const { dbBusyTimeoutMs, killGraceMs } = this.settings;
      const late = new Promise<false>((r) =>
        setTimeout(() => r(false), dbBusyTimeoutMs + killGraceMs + 5000).unref(),
      );
      const ended = await Promise.race([run.done.then(() => true), late]);
      if (!ended) {
        throw new AppError(
          "database_busy",
          `Task ${id} is stopping; it will be recorded as cancelled as soon as the database can be written`,
        );
      }
      // The run records the cancel itself; should it have recorded a pause, the cancel still stands.
      task = this.get(id);
      if (task.status !== "paused") return task;
    }
    // "running" without a run in this server: a crash left it (the start-up recovery normally
    // pauses those); it can be cancelled like a paused one.
    if (task.status === "queued" || task.status === "paused" || task.status === "running") {
      const reason =
        task.status === "queued"
          ? "Cancelled before it started"
          : `Cancelled by the user while ${label(task.status)}`;
      const ended = await this.endQueued(id, reason);
      this.scheduler.kick(); // a chain after it ends too
      return ended;
    }
    throw new AppError("not_cancellable", `Task ${id} is already ${label(task.status)}`);
  }

  /**
   * Deletes a finished, interrupted or queued task: its events (in batches, so a long history never
   * blocks the server), its iterations and its artifacts. A running one (or one waiting out a usage
   * limit) must be cancelled first.
   */
  async delete(id: string, opts: { deleteBranch?: boolean } = {}): Promise<void> {
    const task = this.get(id);
    if (!canDelete(task.status) && !this.stopped(task))
      throw new AppError(
        "not_deletable",
        `Task ${id} is ${label(task.status)}; cancel it before deleting it`,
      );
    // Out of the queue first, in the same tick the worker would look at it; open pages see it go.
    if (task.status === "queued") {
      const reason = "Removed from the queue";
      await this.write(() =>
        this.repos.transaction(() => {
          this.repos.tasks.update(id, { status: "cancelled", statusReason: reason });
          this.bus.taskUpdated(id, { status: "cancelled", statusReason: reason });
          this.bus.send(id, null, "task.finished", { status: "cancelled", reason });
        }),
      );
    }
    while ((await this.write(() => this.repos.events.deleteSomeOf(id, 5_000))) > 0) {
      await new Promise((r) => setImmediate(r));
    }
    await this.write(() => this.repos.tasks.delete(id));
    await removeIsolation(task, opts, this.log);
    await this.artifacts.remove(id);
    this.log.info({ taskId: id }, "task deleted");
    this.kick(); // a chain after it ends
  }

  /** Moves a queued task within the queue. */
  async move(id: string, to: QueueMove): Promise<QueueState> {
    const task = this.get(id);
    if (task.status !== "queued")
      throw new AppError("not_queued", `Task ${id} is ${label(task.status)}, not queued`);
    await this.write(() =>
      this.repos.transaction(() => {
        const ids = this.repos.tasks.listQueued().map((t) => t.id);
        const i = ids.indexOf(id);
        ids.splice(i, 1);
        const j = { top: 0, bottom: ids.length, up: Math.max(0, i - 1), down: Math.min(ids.length, i + 1) }[
          to
        ];
        ids.splice(j, 0, id);
        this.repos.tasks.reorderQueue(ids);
      }),
    );
    return this.queue();
  }

  /** A paused queue lets the running task finish and starts nothing new; it stays paused across restarts. */
  async setQueuePaused(paused: boolean): Promise<QueueState> {
    await this.write(() =>
      paused
        ? this.repos.state.set(QUEUE_PAUSED, { since: new Date().toISOString() })
        : this.repos.state.delete(QUEUE_PAUSED),
    );
    this.log.info({ paused }, paused ? "queue paused" : "queue resumed");
    if (!paused) this.kick();
    return this.queue();
  }

  get queuePaused(): boolean {
    return this.repos.state.get(QUEUE_PAUSED) !== undefined;
  }

  /** The queue in the order it runs, each running task, and why each queued task waits. */
  queue(): QueueState {
    const running = this.scheduler.running();
    const { waits } = this.scheduler.plan();
    return {
      paused: this.queuePaused,
      tasks: this.repos.tasks.listQueued().filter((t) => !this.scheduler.runs.has(t.id)),
      running: running[0] ?? null,
      runningTasks: running,
      maxParallel: this.settings.maxParallel,
      waits: Object.fromEntries(waits),
    };
  }

  stats(): { running: number; queued: number; maxDepth: number; paused: boolean } {
    const queued = this.repos.tasks.countByStatus("queued");
    const { maxQueueDepth: maxDepth } = this.settings;
    return { running: this.scheduler.runs.size, queued, maxDepth, paused: this.queuePaused };
  }

  /** Resolves when nothing is running and nothing queued can start (or the worker stopped). */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Stops accepting work, interrupts the running agent (the task is paused) and waits for it. Queued tasks stay queued. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    for (const run of this.scheduler.runs.values()) run.requestStop({ kind: "shutdown" });
    const stopped = this.idle();
    // Once the run has had its time (two graces: runner/stop.ts) to record its end, final writes give up.
    const t = setTimeout(
      () => this.closing.abort(),
      2 * this.settings.killGraceMs + this.settings.dbBusyTimeoutMs + 2000,
    );
    await stopped;
    clearTimeout(t);
    this.scheduler.close();
    this.closing.abort();
  }

  private get(id: string): Task {
    const task = this.repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    return task;
  }

  /** Paused with nothing of it running here (interrupted, not waiting out a usage limit): retry and delete take it. */
  private stopped(task: Task): boolean {
    return task.status === "paused" && !this.scheduler.runs.has(task.id);
  }

  private assertAccepting(): void {
    if (!this.accepting)
      throw new AppError("shutting_down", "The server is shutting down and accepts no new tasks");
  }

  private assertQueueRoom(): void {
    const queued = this.repos.tasks.countByStatus("queued");
    if (queued >= this.settings.maxQueueDepth) {
      throw new AppError(
        "queue_full",
        `The queue is full: ${queued} tasks are waiting (LOOP_MAX_QUEUE_DEPTH=${this.settings.maxQueueDepth}). Wait for one to start, or cancel one, then try again.`,
      );
    }
  }

  /** task.md is written before the row exists: a task a client is told about always has its file. */
  private async file(input: Filed): Promise<Task> {
    const id = this.repos.tasks.newId();
    const createdAt = new Date().toISOString();
    this.assertQueueRoom();
    await this.artifacts.write(id, "task.md", taskMarkdown({ ...input, id, createdAt }));
    let task: Task;
    try {
      task = await this.write(() =>
        this.repos.transaction(() => {
          this.assertQueueRoom();
          const chain = input.after && chainProblem(id, input.after, (x) => this.repos.tasks.get(x));
          if (chain) throw new AppError("invalid_after", chain);
          const iso = isolationFields(input.isolation, id, this.settings.artifactsDir);
          const t = this.repos.tasks.create({ ...input, ...iso, id }, new Date(createdAt));
          // A new row: all of it (the only task.updated that carries the prompt).
          this.bus.taskUpdated(id, t);
          this.bus.send(t.id, null, "task.created", {
            title: t.title,
            workingDir: t.workingDir,
            maxIterations: t.maxIterations,
            ...(input.retryOf && { retryOf: input.retryOf }),
          });
          return t;
        }),
      );
    } catch (err) {
      await this.artifacts.remove(id).catch(() => {});
      throw err;
    }
    this.kick();
    return task;
  }

  /** Route writes: another process's lock is waited out for a while, then it is a 503, a full disk a 507. */
  private write<T>(fn: () => T): Promise<T> {
    return retryBusy(fn, { timeoutMs: this.settings.dbBusyTimeoutMs, where: this.repos.handle.path });
  }

  /** Ends a task that has no run here (queued, or left paused or running): cancelled, with the reason. */
  private endQueued(id: string, reason: string): Promise<Task> {
    return this.write(() =>
      this.repos.transaction(() => {
        const patch = {
          status: "cancelled",
          statusReason: reason,
          finishedAt: new Date().toISOString(),
        } as const;
        const t = this.repos.tasks.update(id, patch);
        this.bus.taskUpdated(id, patch);
        this.bus.send(id, null, "task.finished", { status: "cancelled", reason });
        return t;
      }),
    );
  }

  private kick(): void {
    this.scheduler.kick();
  }

  private makeRun(task: Task): TaskRun {
    const { repos, bus, settings, artifacts, log } = this;
    const deps = {
      repos,
      bus,
      settings,
      artifacts,
      log,
      closing: this.closing.signal,
      agents: this.agents(task),
    };
    return new TaskRun(deps, task);
  }
}

const label = (status: string) => status.replace("_", " ");
