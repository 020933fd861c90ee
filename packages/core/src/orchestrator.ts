import type { Repositories } from "@loop/db";
import {
  type AgentName,
  AppError,
  addUsage,
  emptyUsage,
  type Iteration,
  isTerminal,
  type Task,
  type TaskStatus,
  type Usage,
} from "@loop/shared";
import { type AgentOutcome, parseVerdict, runClaude, runCodex } from "./agents/index.ts";
import { ArtifactStore, iterationFile } from "./artifacts.ts";
import type { EventBus } from "./events.ts";
import { buildClaudePrompt, buildCodexPrompt, type HistoryEntry, taskMarkdown } from "./prompts/index.ts";

export interface OrchestratorSettings {
  claudeBin: string;
  codexBin: string;
  claudeArgs: readonly string[];
  codexArgs: readonly string[];
  claudePermissionMode: string;
  iterationTimeoutMs: number;
  idleTimeoutMs: number;
  killGraceMs: number;
  maxQueueDepth: number;
  defaultMaxIterations: number;
  artifactsDir: string;
  /** Stop with needs_attention when Codex repeats the same findings this many times in a row (0 = off). */
  stallIterations: number;
  /** How long an agent may take to exit after its answer before its tree is stopped (default 10 s). */
  exitGraceMs?: number;
  /** Output stored per agent run; past it lines are counted, not stored (default 32 MiB). */
  maxOutputBytes?: number;
  /** Wait used when a usage-limit message names no reset time (doubles per attempt, capped at 2 h). */
  usageLimitBackoffMs?: number;
  /** Added to an announced reset time, so the first try after it is not refused again (default 30 s). */
  usageLimitMarginMs?: number;
  /** Give up (failed) after this many usage-limit pauses in one task. */
  maxUsageLimitPauses?: number;
  /** Extra environment for the agent processes (merged over process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SubmitInput {
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations?: number | undefined;
}

/** The loop as an explicit state machine: each phase runs one step and names the next. */
type Phase =
  | { kind: "claude"; n: number }
  | { kind: "codex"; n: number; claudeOutput: string }
  | { kind: "paused"; agent: AgentName; until: Date; reason: string; resume: Phase }
  | { kind: "finished"; status: FinalStatus; reason: string };

type FinalStatus = Extract<TaskStatus, "done" | "needs_attention" | "failed" | "cancelled">;

type StopCause = "user" | "shutdown";

interface RunContext {
  task: Task;
  abort: AbortController;
  stopCause: StopCause | null;
  history: HistoryEntry[];
  usage: Usage;
  pauses: number;
  done: Promise<void>;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

export class Orchestrator {
  readonly artifacts: ArtifactStore;
  private readonly repos: Repositories;
  private readonly bus: EventBus;
  private readonly settings: OrchestratorSettings;
  private readonly log: Logger;
  private current: RunContext | null = null;
  private active = false;
  private accepting = true;
  private idleWaiters: Array<() => void> = [];
  /** Output budget of each running agent, by `${taskId}:${n}:${agent}`. */
  private readonly budgets = new Map<string, OutputBudget>();

  constructor(deps: { repos: Repositories; bus: EventBus; settings: OrchestratorSettings; logger?: Logger }) {
    this.repos = deps.repos;
    this.bus = deps.bus;
    this.settings = deps.settings;
    this.log = deps.logger ?? silent;
    this.artifacts = new ArtifactStore(deps.settings.artifactsDir);
  }

  /** Marks tasks a dead process left running as failed, then starts working the queue. */
  async start(): Promise<void> {
    for (const task of this.repos.tasks.listByStatus("running")) {
      const n = task.currentIteration;
      const reason = `The server stopped during iteration ${n} before it finished; the run was interrupted. Retry to run it again.`;
      if (n > 0 && this.repos.iterations.get(task.id, n)?.status === "running") {
        this.repos.iterations.update(task.id, n, { status: "failed", finishedAt: new Date().toISOString() });
      }
      this.bus.emit({ taskId: task.id, iteration: null, type: "task.warning", data: { message: reason } });
      await this.finish(task, "failed", reason);
      this.log.warn({ taskId: task.id }, "marked interrupted task failed");
    }
    this.kick();
  }

  async submit(input: SubmitInput): Promise<Task> {
    if (!this.accepting)
      throw new AppError("shutting_down", "The server is shutting down and accepts no new tasks");
    const task = this.repos.transaction(() => {
      this.assertQueueRoom();
      const t = this.repos.tasks.create({
        title: input.title,
        prompt: input.prompt,
        workingDir: input.workingDir,
        maxIterations: input.maxIterations ?? this.settings.defaultMaxIterations,
      });
      this.bus.emit({
        taskId: t.id,
        iteration: null,
        type: "task.created",
        data: { title: t.title, workingDir: t.workingDir, maxIterations: t.maxIterations },
      });
      return t;
    });
    await this.artifacts.write(task.id, "task.md", taskMarkdown(task));
    this.kick();
    return task;
  }

  /** Cancels a queued task at once; a running one after its agent's process tree has stopped. */
  async cancel(id: string): Promise<Task> {
    const task = this.repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    if (this.current?.task.id === id) {
      const ctx = this.current;
      if (ctx.stopCause === null) {
        ctx.stopCause = "user";
        this.bus.emit({
          taskId: id,
          iteration: task.currentIteration || null,
          type: "task.cancel_requested",
          data: {},
        });
        ctx.abort.abort();
      }
      await ctx.done;
      return this.repos.tasks.get(id)!;
    }
    if (task.status === "queued" || task.status === "paused") {
      return this.finish(task, "cancelled", "Cancelled before it started");
    }
    throw new AppError("not_cancellable", `Task ${id} is already ${task.status.replace("_", " ")}`);
  }

  /**
   * Deletes a finished task: its events (in batches, so a long history never blocks the server),
   * its iterations and its artifacts. Queued, running or paused tasks must be cancelled first.
   */
  async delete(id: string): Promise<void> {
    const task = this.repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    if (!isTerminal(task.status)) {
      throw new AppError("not_deletable", `Task ${id} is ${task.status}; cancel it before deleting it`);
    }
    while (this.repos.events.deleteSomeOf(id, 5_000) > 0) {
      await new Promise((r) => setImmediate(r));
    }
    this.repos.tasks.delete(id);
    await this.artifacts.remove(id);
    this.log.info({ taskId: id }, "task deleted");
  }

  /** Files a new queued task with the same inputs as a finished one. */
  async retry(id: string): Promise<{ task: Task; resumed: boolean }> {
    const old = this.repos.tasks.get(id);
    if (!old) throw new AppError("task_not_found", `No task with id ${id}`);
    if (!isTerminal(old.status)) {
      throw new AppError("not_retryable", `Task ${id} is ${old.status}; only a finished task can be retried`);
    }
    if (!this.accepting)
      throw new AppError("shutting_down", "The server is shutting down and accepts no new tasks");
    const task = this.repos.transaction(() => {
      this.assertQueueRoom();
      const t = this.repos.tasks.create({
        title: old.title,
        prompt: old.prompt,
        workingDir: old.workingDir,
        maxIterations: old.maxIterations,
        retryOf: old.id,
      });
      this.bus.emit({
        taskId: t.id,
        iteration: null,
        type: "task.created",
        data: { title: t.title, workingDir: t.workingDir, maxIterations: t.maxIterations, retryOf: old.id },
      });
      return t;
    });
    await this.artifacts.write(task.id, "task.md", taskMarkdown(task));
    this.kick();
    return { task, resumed: false };
  }

  stats(): { running: number; queued: number; maxDepth: number } {
    return {
      running: this.current ? 1 : 0,
      queued: this.repos.tasks.countByStatus("queued"),
      maxDepth: this.settings.maxQueueDepth,
    };
  }

  /** Resolves when nothing is running and the queue is empty (or the worker stopped). */
  idle(): Promise<void> {
    if (!this.active) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting work, stops the running agent cleanly and waits for it. Queued tasks stay queued. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    const ctx = this.current;
    if (ctx && ctx.stopCause === null) {
      ctx.stopCause = "shutdown";
      ctx.abort.abort();
    }
    await this.idle();
  }

  private assertQueueRoom(): void {
    const queued = this.repos.tasks.countByStatus("queued");
    if (queued >= this.settings.maxQueueDepth) {
      throw new AppError(
        "queue_full",
        `The queue is full (${queued} tasks waiting, LOOP_MAX_QUEUE_DEPTH=${this.settings.maxQueueDepth}); wait for one to start or cancel one, then try again`,
      );
    }
  }

  /** Starts the serial worker unless it is already running. */
  private kick(): void {
    if (this.active || !this.accepting) return;
    this.active = true;
    void this.work();
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        // Checked and cleared in the same tick as the flag, so a concurrent submit cannot be missed.
        const next = this.accepting ? this.repos.tasks.nextQueued() : undefined;
        if (!next) break;
        await this.run(next);
      }
    } catch (err) {
      this.log.error({ err }, "worker crashed");
    } finally {
      this.active = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(queued: Task): Promise<void> {
    let release!: () => void;
    const ctx: RunContext = {
      task: queued,
      abort: new AbortController(),
      stopCause: null,
      history: [],
      usage: queued.usage,
      pauses: 0,
      done: new Promise<void>((r) => {
        release = r;
      }),
    };
    this.current = ctx;
    try {
      ctx.task = this.repos.tasks.update(queued.id, {
        status: "running",
        startedAt: new Date().toISOString(),
      });
      this.bus.emit({ taskId: queued.id, iteration: null, type: "task.started", data: {} });
      this.log.info({ taskId: queued.id }, "task started");
      let phase: Phase = { kind: "claude", n: 1 };
      while (phase.kind !== "finished") {
        try {
          phase = await this.step(ctx, phase);
        } catch (err) {
          this.log.error({ err, taskId: queued.id }, "iteration step failed");
          phase = { kind: "finished", status: "failed", reason: `Internal error: ${(err as Error).message}` };
        }
      }
      await this.finish(ctx.task, phase.status, phase.reason);
    } finally {
      this.current = null;
      release();
    }
  }

  private step(ctx: RunContext, phase: Exclude<Phase, { kind: "finished" }>): Promise<Phase> {
    switch (phase.kind) {
      case "claude":
        return this.claudeStep(ctx, phase.n);
      case "codex":
        return this.codexStep(ctx, phase.n, phase.claudeOutput);
      case "paused":
        return this.pausedStep(ctx, phase);
      default: {
        const unreachable: never = phase;
        throw new Error(`unknown phase ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Waits out a subscription usage limit, then repeats the step that hit it. Cancel ends the wait. */
  private async pausedStep(ctx: RunContext, phase: Phase & { kind: "paused" }): Promise<Phase> {
    const { task } = ctx;
    const iteration = task.currentIteration || null;
    ctx.task = this.repos.tasks.update(task.id, { status: "paused", statusReason: phase.reason });
    this.bus.emit({
      taskId: task.id,
      iteration,
      type: "task.paused",
      data: {
        agent: phase.agent,
        reason: phase.reason,
        resumeAt: phase.until.toISOString(),
        attempt: ctx.pauses,
      },
    });
    const waited = await sleep(Math.max(0, phase.until.getTime() - Date.now()), ctx.abort.signal);
    if (!waited) {
      return ctx.stopCause === "shutdown"
        ? {
            kind: "finished",
            status: "failed",
            reason: `The server was shut down while paused: ${phase.reason}`,
          }
        : {
            kind: "finished",
            status: "cancelled",
            reason: "Cancelled by the user while paused for a usage limit",
          };
    }
    ctx.task = this.repos.tasks.update(task.id, { status: "running", statusReason: null });
    this.bus.emit({ taskId: task.id, iteration, type: "task.resumed", data: { agent: phase.agent } });
    return phase.resume;
  }

  private async claudeStep(ctx: RunContext, n: number): Promise<Phase> {
    const { task } = ctx;
    this.repos.iterations.start(task.id, n);
    ctx.task = this.repos.tasks.update(task.id, { currentIteration: n });
    this.bus.emit({ taskId: task.id, iteration: n, type: "iteration.started", data: { n } });

    const prompt = buildClaudePrompt(task, ctx.history, n);
    await this.artifacts.write(task.id, iterationFile(n, "claude", "prompt"), prompt);
    const outcome = await runClaude({
      ...this.agentOptions(ctx, n, "claude"),
      bin: this.settings.claudeBin,
      extraArgs: this.settings.claudeArgs,
      permissionMode: this.settings.claudePermissionMode,
      prompt,
    });
    this.afterAgent(ctx, n, "claude", outcome);
    await this.artifacts.write(
      task.id,
      iterationFile(n, "claude", "output"),
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown("claude", outcome),
    );
    this.repos.iterations.update(task.id, n, {
      claudeDurationMs: outcome.durationMs,
      ...(outcome.ok && { claudeSessionId: outcome.sessionId }),
    });
    if (!outcome.ok) return this.failedPhase(ctx, n, "claude", outcome, { kind: "claude", n });
    return { kind: "codex", n, claudeOutput: outcome.output };
  }

  private async codexStep(ctx: RunContext, n: number, claudeOutput: string): Promise<Phase> {
    const { task } = ctx;
    const prompt = buildCodexPrompt(task, ctx.history, n, claudeOutput);
    await this.artifacts.write(task.id, iterationFile(n, "codex", "prompt"), prompt);
    const outputName = iterationFile(n, "codex", "output");
    const outcome = await runCodex({
      ...this.agentOptions(ctx, n, "codex"),
      bin: this.settings.codexBin,
      extraArgs: this.settings.codexArgs,
      outputFile: this.artifacts.path(task.id, outputName),
      prompt,
    });
    this.afterAgent(ctx, n, "codex", outcome);
    await this.artifacts.write(
      task.id,
      outputName,
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown("codex", outcome),
    );
    this.repos.iterations.update(task.id, n, { codexDurationMs: outcome.durationMs });
    if (!outcome.ok) return this.failedPhase(ctx, n, "codex", outcome, { kind: "codex", n, claudeOutput });

    const verdict = parseVerdict(outcome.output);
    this.bus.emit({
      taskId: task.id,
      iteration: n,
      type: "review.verdict",
      data: { status: verdict.status, firstLine: verdict.firstLine },
    });
    if (!verdict.explicit) {
      this.bus.emit({
        taskId: task.id,
        iteration: n,
        type: "task.warning",
        data: {
          message: `Codex's review in iteration ${n} has no STATUS line (first line: ${JSON.stringify(verdict.firstLine.slice(0, 200))}); counted as ISSUES_FOUND`,
        },
      });
    }
    this.repos.iterations.update(task.id, n, {
      status: "done",
      verdict: verdict.status,
      finishedAt: new Date().toISOString(),
    });
    this.bus.emit({
      taskId: task.id,
      iteration: n,
      type: "iteration.finished",
      data: { n, verdict: verdict.status, status: "done" },
    });
    ctx.history.push({ n, claudeOutput, review: outcome.output, verdict: verdict.status });

    if (verdict.status === "DONE") {
      return { kind: "finished", status: "done", reason: `Codex reported STATUS: DONE in iteration ${n}` };
    }
    const stalled = this.stalledSince(ctx.history);
    if (stalled !== null) {
      return {
        kind: "finished",
        status: "needs_attention",
        reason: `No progress: Codex returned the same findings in iterations ${stalled}–${n}; stopped early to save your quota`,
      };
    }
    if (n >= task.maxIterations) {
      return {
        kind: "finished",
        status: "needs_attention",
        reason: `Reached the iteration cap (${task.maxIterations}) with issues remaining`,
      };
    }
    return { kind: "claude", n: n + 1 };
  }

  /** First iteration of a run of `stallIterations` identical reviews ending now, or null. */
  private stalledSince(history: readonly HistoryEntry[]): number | null {
    const k = this.settings.stallIterations;
    if (k < 2 || history.length < k) return null;
    const tail = history.slice(-k).map((h) => normalizeReview(h.review));
    return tail.every((r) => r === tail[0]) ? history[history.length - k]!.n : null;
  }

  private agentOptions(ctx: RunContext, n: number, agent: AgentName) {
    const taskId = ctx.task.id;
    const budget = new OutputBudget(this.settings.maxOutputBytes ?? 32 * 1024 * 1024);
    this.budgets.set(`${taskId}:${n}:${agent}`, budget);
    return {
      cwd: ctx.task.workingDir,
      timeoutMs: this.settings.iterationTimeoutMs,
      idleTimeoutMs: this.settings.idleTimeoutMs || undefined,
      graceMs: this.settings.killGraceMs,
      exitGraceMs: this.settings.exitGraceMs ?? 10_000,
      signal: ctx.abort.signal,
      env: this.settings.env,
      onStart: (info: { pid: number | undefined; argv: string[] }) => {
        this.bus.emit({
          taskId,
          iteration: n,
          type: "agent.started",
          data: { agent, pid: info.pid ?? null, argv: info.argv },
        });
      },
      onLine: (stream: "stdout" | "stderr", line: string, parsed?: { kind: string; text: string }) => {
        if (budget.take(line)) this.bus.emitOutput(taskId, n, agent, stream, line, parsed);
        else if (budget.droppedLines === 1) {
          this.bus.emit({
            taskId,
            iteration: n,
            type: "task.warning",
            data: {
              message: `${agent} printed more than ${mib(budget.limit)} in iteration ${n} (LOOP_MAX_OUTPUT_MB): further lines are not stored; the run goes on`,
            },
          });
        }
      },
    };
  }

  private afterAgent(ctx: RunContext, n: number, agent: AgentName, outcome: AgentOutcome): void {
    const taskId = ctx.task.id;
    if (outcome.ok && outcome.warning) {
      this.bus.emit({ taskId, iteration: n, type: "task.warning", data: { message: outcome.warning } });
    }
    const budget = this.budgets.get(`${taskId}:${n}:${agent}`);
    this.budgets.delete(`${taskId}:${n}:${agent}`);
    if (budget && budget.droppedLines > 0) {
      this.bus.emit({
        taskId,
        iteration: n,
        type: "task.warning",
        data: {
          message: `${agent} output not stored in iteration ${n}: ${budget.droppedLines} lines, ${mib(budget.droppedBytes)}`,
        },
      });
    }
    this.bus.emit({
      taskId,
      iteration: n,
      type: "agent.finished",
      data: {
        agent,
        exitCode: outcome.exitCode,
        durationMs: outcome.durationMs,
        ok: outcome.ok,
        ...(!outcome.ok && { error: outcome.error, errorKind: outcome.errorKind }),
        ...(outcome.usage && { usage: outcome.usage }),
      },
    });
    if (outcome.usage) {
      const iteration: Iteration | undefined = this.repos.iterations.get(taskId, n);
      this.repos.iterations.update(taskId, n, {
        usage: addUsage(iteration?.usage ?? emptyUsage(), outcome.usage),
      });
      ctx.usage = addUsage(ctx.usage, outcome.usage);
      ctx.task = this.repos.tasks.update(taskId, { usage: ctx.usage });
      this.bus.emit({
        taskId,
        iteration: n,
        type: "task.usage",
        data: { agent, usage: outcome.usage, total: ctx.usage },
      });
    }
  }

  private failedPhase(
    ctx: RunContext,
    n: number,
    agent: AgentName,
    outcome: AgentOutcome & { ok: false },
    retry: Phase,
  ): Phase {
    const maxPauses = this.settings.maxUsageLimitPauses ?? 10;
    if (outcome.errorKind === "usage_limit" && ctx.stopCause === null && ctx.pauses < maxPauses) {
      ctx.pauses++;
      const backoff = Math.min(
        2 * 3600_000,
        (this.settings.usageLimitBackoffMs ?? 15 * 60_000) * 2 ** (ctx.pauses - 1),
      );
      const resetsAt = outcome.resetsAt ? new Date(outcome.resetsAt) : null;
      const until =
        resetsAt && !Number.isNaN(resetsAt.getTime())
          ? new Date(resetsAt.getTime() + (this.settings.usageLimitMarginMs ?? 30_000))
          : new Date(Date.now() + backoff);
      return {
        kind: "paused",
        agent,
        until,
        reason: `${agent} hit its usage limit (${outcome.error}); loop resumes iteration ${n} at ${until.toISOString()}`,
        resume: retry,
      };
    }
    const cancelled = outcome.errorKind === "cancelled" || ctx.stopCause !== null;
    const status = cancelled ? "cancelled" : "failed";
    this.repos.iterations.update(ctx.task.id, n, { status, finishedAt: new Date().toISOString() });
    this.bus.emit({
      taskId: ctx.task.id,
      iteration: n,
      type: "iteration.finished",
      data: { n, verdict: null, status },
    });
    if (ctx.stopCause === "shutdown") {
      return {
        kind: "finished",
        status: "failed",
        reason: `The server was shut down during iteration ${n} (${agent} was stopped); retry to run it again`,
      };
    }
    if (cancelled) {
      return {
        kind: "finished",
        status: "cancelled",
        reason: `Cancelled by the user during iteration ${n} (${agent} was stopped)`,
      };
    }
    return { kind: "finished", status: "failed", reason: outcome.error };
  }

  private async finish(task: Task, status: FinalStatus, reason: string): Promise<Task> {
    const finishedAt = new Date().toISOString();
    // result.md first: whoever reacts to task.finished can already read it.
    const final = { ...(this.repos.tasks.get(task.id) ?? task), status, statusReason: reason, finishedAt };
    try {
      await this.artifacts.write(
        task.id,
        "result.md",
        resultMarkdown(final, this.repos.iterations.list(task.id)),
      );
    } catch (err) {
      this.log.error({ err, taskId: task.id }, "could not write result.md");
    }
    const done = this.repos.tasks.update(task.id, { status, statusReason: reason, finishedAt });
    this.bus.emit({ taskId: task.id, iteration: null, type: "task.finished", data: { status, reason } });
    this.log.info({ taskId: task.id, status, reason }, "task finished");
    return done;
  }
}

/** Caps the output one agent run may store: a runaway agent must not fill the disk with events. */
class OutputBudget {
  readonly limit: number;
  private used = 0;
  droppedLines = 0;
  droppedBytes = 0;
  constructor(limit: number) {
    this.limit = limit;
  }
  take(line: string): boolean {
    // UTF-16 length is a cheap upper-bound proxy for most output; exactness does not matter here.
    const size = line.length + 1;
    if (this.droppedLines === 0 && this.used + size <= this.limit) {
      this.used += size;
      return true;
    }
    this.droppedLines++;
    this.droppedBytes += size;
    return false;
  }
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MB`;

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const ensureNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);

/** Whitespace, case and list markers do not count as progress. */
const normalizeReview = (s: string) =>
  s
    .toLowerCase()
    .replace(/[`*#>_-]/g, "")
    .replace(/\s+/g, " ")
    .trim();

function failureMarkdown(agent: AgentName, outcome: AgentOutcome & { ok: false }): string {
  return [
    `# ${agent} did not finish`,
    "",
    `- Reason: ${outcome.errorKind}`,
    `- Exit code: ${outcome.exitCode ?? "none"}`,
    `- Duration: ${(outcome.durationMs / 1000).toFixed(1)} s`,
    "",
    "```text",
    outcome.error,
    "```",
    "",
  ].join("\n");
}

const fmtCost = (u: Usage) => (u.costUsd === null ? "n/a" : `$${u.costUsd.toFixed(4)}`);
const fmtSec = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`);

export function resultMarkdown(task: Task, iterations: readonly Iteration[]): string {
  const rows = iterations.map(
    (i) =>
      `| ${i.n} | ${i.status} | ${i.verdict ?? "–"} | ${fmtSec(i.claudeDurationMs)} | ${fmtSec(i.codexDurationMs)} | ${i.usage.inputTokens} / ${i.usage.outputTokens} | ${fmtCost(i.usage)} |`,
  );
  return [
    `# Result: ${task.title}`,
    "",
    `- Status: **${task.status}**`,
    `- Reason: ${task.statusReason ?? ""}`,
    `- Iterations: ${iterations.length} of at most ${task.maxIterations}`,
    `- Started: ${task.startedAt ?? "never"}`,
    `- Finished: ${task.finishedAt ?? ""}`,
    `- Tokens (in / out): ${task.usage.inputTokens} / ${task.usage.outputTokens}; cost: ${fmtCost(task.usage)}`,
    "",
    "| Iteration | Status | Verdict | Claude | Codex | Tokens in / out | Cost |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
