import { type Repositories, retryBusy } from "@loop/db";
import { AppError, canDelete, canResume, isTerminal, MAX_ITERATIONS_LIMIT, type Task } from "@loop/shared";
import { type AgentsFactory, cliAgents } from "./agents/index.ts";
import { ArtifactStore } from "./artifacts.ts";
import type { EventBus } from "./events.ts";
import { isolationFields, removeIsolation } from "./loop/isolation.ts";
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
import { resolveSettings, type Settings } from "./settings.ts";
import { storageReady } from "./storage-ready.ts";

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
    | Budget
  >;

const reopened = { statusReason: null, finishedAt: null } as const;

/**
 * The queue and the serial worker: submit, cancel, resume, retry, delete, queue order and pause.
 * One task runs at a time (loop/task-run.ts); this file decides which and when.
 */
export class Orchestrator {
  readonly artifacts: ArtifactStore;
  readonly settings: Settings;
  private readonly repos: Repositories;
  private readonly bus: EventBus;
  private readonly log: Logger;
  private current: TaskRun | null = null;
  private active = false;
  private accepting = true;
  private started = false;
  private readonly closing = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private readonly gate: OrchestratorDeps["gate"];
  private readonly agents: AgentsFactory;

  constructor(deps: OrchestratorDeps) {
    this.repos = deps.repos;
    this.gate = deps.gate;
    this.bus = deps.bus;
    this.settings = resolveSettings(deps.settings);
    this.log = deps.logger ?? silent;
    this.artifacts = new ArtifactStore(this.settings.artifactsDir);
    this.agents = deps.agents ?? cliAgents(this.settings);
  }

  /** Starts working the queue (after the start-up recovery, see recovery.ts). */
  start(): void {
    this.started = true;
    this.kick();
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
    return this.file({ ...old, retryOf: old.id });
  }

  /**
   * Queues a paused, failed, cancelled or needs_attention task again, to continue after its last finished
   * agent run with its stored history; `extraIterations` raises its cap, `inTx` runs in its transaction.
   */
  async resume(id: string, extraIterations = 0, caps: Budgets = {}, inTx?: () => void): Promise<Task> {
    const task = rebudget(this.get(id), caps);
    this.assertAccepting();
    if (this.current?.task.id === id) {
      throw new AppError(
        "not_resumable",
        `Task ${id} is ${label(this.current.task.status)} in this server; it goes on by itself`,
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
    const run = this.current;
    if (run?.task.id === id) {
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

  queue(): QueueState {
    return {
      paused: this.queuePaused,
      tasks: this.repos.tasks.listQueued(),
      running: this.current?.task ?? null,
    };
  }

  stats(): { running: number; queued: number; maxDepth: number; paused: boolean } {
    const { current, queuePaused: paused } = this;
    const queued = this.repos.tasks.countByStatus("queued");
    return { running: current ? 1 : 0, queued, maxDepth: this.settings.maxQueueDepth, paused };
  }

  /** Resolves when nothing is running and the queue is empty (or the worker stopped). */
  idle(): Promise<void> {
    if (!this.active) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting work, interrupts the running agent (the task is paused) and waits for it. Queued tasks stay queued. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    this.current?.requestStop({ kind: "shutdown" });
    const stopped = this.idle();
    // Once the run has had its time (two graces: runner/stop.ts) to record its end, final writes give up.
    const t = setTimeout(
      () => this.closing.abort(),
      2 * this.settings.killGraceMs + this.settings.dbBusyTimeoutMs + 2000,
    );
    await stopped;
    clearTimeout(t);
    this.closing.abort();
  }

  private get(id: string): Task {
    const task = this.repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    return task;
  }

  /** Paused with nothing of it running here (interrupted, not waiting out a usage limit): retry and delete take it. */
  private stopped(task: Task): boolean {
    return task.status === "paused" && this.current?.task.id !== task.id;
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

  private canStart = () => this.accepting && !this.queuePaused && this.stats().queued > 0;

  /** Starts the serial worker unless it is already running. */
  private kick(): void {
    if (this.active || !this.accepting || !this.started) return;
    this.active = true;
    void this.work();
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        if (!this.accepting || this.queuePaused) break;
        // Storage that failed the last run must work again before the next one starts.
        if (!(await storageReady(this.repos, this.bus, this.log, () => this.accepting))) break;
        if (this.gate && !(await this.gate.ready(() => this.canStart()))) break;
        // Read and marked running in one tick, so a concurrent submit or delete cannot race it.
        const next = this.repos.tasks.nextQueued();
        if (!next) break;
        const run = new TaskRun(
          {
            repos: this.repos,
            bus: this.bus,
            settings: this.settings,
            artifacts: this.artifacts,
            log: this.log,
            closing: this.closing.signal,
            agents: this.agents(next),
          },
          next,
        );
        this.current = run;
        try {
          await run.execute();
        } finally {
          this.current = null;
        }
      }
    } catch (err) {
      this.log.error({ err }, "worker stopped by an unexpected error");
    } finally {
      this.active = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

const label = (status: string) => status.replace("_", " ");
