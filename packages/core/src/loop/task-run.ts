import { type IterationPatch, retryBusy, retryUntil, type TaskPatch } from "@loop/db";
import type { AgentName, Finding, LoopEventType, Task } from "@loop/shared";
import type { AgentOutcome } from "../agents/index.ts";
import { iterationFile } from "../artifacts.ts";
import type { EventData } from "../events.ts";
import { findStalemate } from "../findings/index.ts";
import { type AgentOptions, allowedCommands, recordUsage, runRecordedAgent } from "./agent-step.ts";
import { claudeRemaining, costReason } from "./budget.ts";
import { ChangeTracker } from "./changes-step.ts";
import { runCheck } from "./check-step.ts";
import { cancelWins, type Ended, type Ending, iterationEnd, recordFinish, sendPaused } from "./finish.ts";
import { commitIteration, ensureWorktree, runDir } from "./isolation.ts";
import { iterationGate } from "./limits.ts";
import { type HistoryEntry, reviewerPrompt, workerTurn } from "./prompt-step.ts";
import { ensureNewline, failureMarkdown } from "./reports.ts";
import { recordReview } from "./review-step.ts";
import type { RunContext, RunDeps } from "./run-context.ts";
import { sleep } from "./sleep.ts";
import {
  afterCheckStop,
  afterFailure,
  afterReview,
  afterStepError,
  afterWaitCut,
  afterWork,
  type Phase,
  resumePoint,
  type StopCause,
  usageLimitPolicy,
  whereIn,
} from "./transitions.ts";
import { settleVerdict } from "./verdict-step.ts";

type Active = Exclude<Phase, { kind: "finished" | "interrupted" }>;

/** One run of one task: from where it stands (its stored iterations) to done, the cap, a failure, a
 * cancel or an interruption. Never throws; every way it ends is written to the task. */
export class TaskRun {
  task: Task;
  readonly done: Promise<void>;
  private readonly deps: RunDeps;
  /** What the steps in other files (agent-step, changes-step, review-step, …) get of this run. */
  private readonly ctx: RunContext;
  private readonly abort = new AbortController();
  private stopCause: StopCause | null = null;
  /** A cancel that came while the run was already stopping for another reason still cancels it. */
  private cancelRequested = false;
  private history: HistoryEntry[] = [];
  /** The findings ledger, as stored with the latest review. */
  private ledger: Finding[] = [];
  private readonly changes: ChangeTracker;
  private pauses = 0;
  /** Where the run is: iteration n, and the agent running (null: loop's check). */
  private where: { n: number; agent: AgentName | null } | null = null;
  private release!: () => void;

  constructor(deps: RunDeps, task: Task) {
    this.deps = deps;
    this.task = task;
    this.done = new Promise((r) => {
      this.release = r;
    });
    const run = this;
    this.ctx = {
      deps,
      get task() {
        return run.task;
      },
      taskId: task.id,
      workingDir: runDir(task),
      signal: this.abort.signal,
      send: this.send.bind(this),
      write: this.write.bind(this),
      updateTask: this.updateTask.bind(this),
      updateIteration: this.updateIteration.bind(this),
    };
    this.changes = new ChangeTracker(this.ctx);
  }

  /** Stops the run from outside; the first cause wins. False when it was already stopping. */
  requestStop(cause: StopCause): boolean {
    if (cause.kind === "user" && !this.cancelRequested) {
      this.cancelRequested = true;
      if (this.stopCause) this.send("task.cancel_requested", {});
    }
    if (this.stopCause) return false;
    this.stopCause = cause;
    if (cause.kind === "user") this.send("task.cancel_requested", {});
    this.abort.abort();
    return true;
  }

  async execute(): Promise<void> {
    const { bus, log } = this.deps;
    const offFault = bus.onFault((f) => this.requestStop({ kind: "fault", message: f.message }));
    let phase: Phase;
    try {
      phase = await this.begin();
    } catch (err) {
      phase = this.stepError(err);
    }
    while (phase.kind !== "finished" && phase.kind !== "interrupted") {
      try {
        phase = await this.step(phase);
      } catch (err) {
        phase = this.stepError(err);
      }
    }
    try {
      await this.end(phase);
    } catch (err) {
      log.error({ err, taskId: this.task.id }, "could not record the end of the run");
    } finally {
      offFault();
      this.release();
    }
  }

  private async begin(): Promise<Phase> {
    const { repos, log } = this.deps;
    const point = resumePoint(repos.iterations.texts(this.task.id), this.task.maxIterations, this.task);
    if (!point.ok)
      return { kind: "finished", status: "needs_attention", reason: `Nothing to run: ${point.reason}` };
    this.history = point.history;
    this.ledger = repos.findings.list(this.task.id);
    await ensureWorktree(this.ctx);
    await this.updateTask({
      status: "running",
      statusReason: null,
      finishedAt: null,
      startedAt: this.task.startedAt ?? new Date().toISOString(),
    });
    this.send("task.started", {});
    if (point.from !== "the start") {
      const { n, kind } = point.phase;
      const agent = kind === "review" ? this.deps.agents.reviewer.name : this.deps.agents.worker.name;
      this.send("task.resumed", { agent, fromIteration: n, from: point.from }, n);
    }
    log.info({ taskId: this.task.id, from: point.from }, "task started");
    return point.phase;
  }

  private step(phase: Active): Promise<Phase> {
    switch (phase.kind) {
      case "work":
        return this.workStep(phase.n);
      case "check":
        return this.checkStep(phase.n, phase.workerOutput);
      case "review":
        return this.reviewStep(phase);
      case "paused":
        return this.waitStep(phase);
      default: {
        const unreachable: never = phase;
        throw new Error(`unknown phase ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** A step that threw: storage faults interrupt (the task pauses); anything else is a failure. */
  private stepError(err: unknown): Phase {
    const { settings, repos, log } = this.deps;
    const where = whereIn(this.where);
    const next = afterStepError(err, where, { db: repos.handle.path, artifacts: settings.artifactsDir });
    const level = next.kind === "interrupted" ? "warn" : "error";
    log[level]({ err, taskId: this.task.id }, "iteration step failed");
    return next;
  }

  /** The worker's run of iteration n: its prompt, its run, what it changed (committed in a worktree). */
  private async workStep(n: number): Promise<Phase> {
    const { repos, artifacts, settings, agents } = this.deps;
    const { worker } = agents;
    const id = this.task.id;
    this.where = { n, agent: worker.name };
    const gate = iterationGate({ task: this.task, n, windows: repos.limits.list(), settings });
    if (gate) return gate;
    this.task = await this.write(() =>
      repos.transaction(() => {
        repos.iterations.start(id, n);
        return repos.tasks.update(id, { currentIteration: n });
      }),
    );
    // A new row (or one started again, its usage kept): all of it.
    this.send("iteration.updated", { iteration: repos.iterations.get(id, n)! }, n);
    this.deps.bus.taskUpdated(id, { currentIteration: n });
    this.send("iteration.started", { n }, n);
    await this.changes.before(n);
    const outputName = iterationFile(n, worker.name, "output");
    const outcome = await workerTurn(this.ctx, n, worker.name, this.history, (prompt, resume) =>
      this.runAgent(n, worker.name, (o) =>
        worker.run({
          ...o,
          outputFile: artifacts.path(id, outputName),
          maxBudgetUsd: claudeRemaining(this.task),
          prompt,
          resumeSessionId: resume,
          allowedCommands: allowedCommands(this.task, settings),
        }),
      ),
    );
    await artifacts.write(
      id,
      outputName,
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown(worker.name, outcome),
    );
    await this.changes.after(n, this.stopCause);
    // Stored last: from here on a resume runs only the check (or the review) of this iteration.
    await this.updateIteration(n, {
      claudeDurationMs: outcome.durationMs,
      ...(outcome.ok && { claudeSessionId: outcome.sessionId, claudeOutput: outcome.output }),
    });
    if (!outcome.ok) return this.failed(n, worker.name, outcome, { kind: "work", n });
    return afterWork(n, outcome.output, this.task.checkCommand);
  }

  /** loop's own check of iteration n (check-step.ts); a stop during it pauses or cancels the task. */
  private async checkStep(n: number, workerOutput: string): Promise<Phase> {
    this.where = { n, agent: null };
    const run = await runCheck(this.ctx, n);
    if (run.stopped) return afterCheckStop(this.stopCause ?? { kind: "user" }, n);
    return { kind: "review", n, workerOutput, check: run.report };
  }

  /** The reviewer's run of iteration n (and its verdict, asked again if missing), then what follows it. */
  private async reviewStep(phase: Phase & { kind: "review" }): Promise<Phase> {
    const { n, workerOutput, check } = phase;
    const { artifacts, settings, agents } = this.deps;
    const { reviewer } = agents;
    const id = this.task.id;
    this.where = { n, agent: reviewer.name };
    if (this.task.currentIteration !== n) await this.updateTask({ currentIteration: n });
    const prompt = await reviewerPrompt(this.ctx, phase, reviewer.name, this.history);
    const outputName = iterationFile(n, reviewer.name, "output");
    const outcome = await this.runAgent(n, reviewer.name, (o) =>
      reviewer.run({
        ...o,
        outputFile: artifacts.path(id, outputName),
        maxBudgetUsd: claudeRemaining(this.task),
        prompt,
      }),
    );
    await artifacts.write(
      id,
      outputName,
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown(reviewer.name, outcome),
    );
    await this.updateIteration(n, { codexDurationMs: outcome.durationMs });
    const retry: Phase = phase;
    if (!outcome.ok) return this.failed(n, reviewer.name, outcome, retry);
    // No STATUS line: the reviewer is asked once more for the verdict alone (verdict-step.ts).
    const v = await settleVerdict(this.ctx, n, outcome, (run) => this.runAgent(n, reviewer.name, run));
    if (v.kind === "stopped") return this.failed(n, reviewer.name, v.outcome, retry);
    const reviewed = await recordReview(this.ctx, n, v.review, check);
    this.ledger = reviewed.ledger;
    await commitIteration(this.ctx, n, { verdict: reviewed.verdict });
    this.history.push({ n, workerOutput, review: v.review, verdict: reviewed.verdict, check });
    return afterReview({
      n,
      verdict: reviewed.verdict,
      maxIterations: this.task.maxIterations,
      stalemate: findStalemate(this.ledger, settings.stallIterations),
      reviewer: reviewer.name,
      waitWith: this.task.pauseAfterIteration ? this.ledger.filter((f) => f.status === "open").length : null,
      check,
    });
  }

  /** Waits out a subscription usage limit, then repeats the step that hit it. A stop ends the wait. */
  private async waitStep(phase: Phase & { kind: "paused" }): Promise<Phase> {
    const n = this.task.currentIteration || null;
    await this.updateTask({ status: "paused", statusReason: phase.reason });
    this.send(
      "task.paused",
      { agent: phase.agent, reason: phase.reason, resumeAt: phase.until.toISOString(), attempt: this.pauses },
      n,
    );
    const waited = await sleep(Math.max(0, phase.until.getTime() - Date.now()), this.abort.signal);
    if (!waited) return afterWaitCut(this.stopCause ?? { kind: "user" }, phase.agent, n ?? 0, phase.reason);
    await this.updateTask({ status: "running", statusReason: null });
    this.send("task.resumed", { agent: phase.agent }, n);
    return phase.resume;
  }

  private failed(n: number, agent: AgentName, outcome: AgentOutcome & { ok: false }, retry: Phase): Phase {
    const { errorKind, error, resetsAt } = outcome;
    const next = afterFailure({
      ...usageLimitPolicy(this.deps.settings),
      n,
      agent,
      errorKind,
      error,
      resetsAt,
      retry,
      stop: this.stopCause,
      pauses: this.pauses,
      now: new Date(),
      budgetReason: costReason(this.task),
    });
    if (next.kind === "paused") this.pauses++;
    return next;
  }

  /** Runs one agent (see agent-step.ts), then adds what it used to the iteration and the task. */
  private async runAgent(
    n: number,
    agent: AgentName,
    run: (o: AgentOptions) => Promise<AgentOutcome>,
  ): Promise<AgentOutcome> {
    const outcome = await runRecordedAgent(this.ctx, n, agent, run);
    this.task = (await recordUsage(this.ctx, n, agent, outcome)) ?? this.task;
    return outcome;
  }

  /**
   * Writes how the run ended: finished (with result.md) or interrupted (paused, resumable). A cancel that
   * comes while an interruption waits to be recorded (a locked or full database) wins: each write looks
   * again, so a cancel answered 200 never leaves the task paused.
   */
  private async end(phase: Ending): Promise<void> {
    const { repos, log } = this.deps;
    const id = this.task.id;
    const n = this.task.currentIteration;
    const final = () => cancelWins(phase, this.cancelRequested);
    let closed = false;
    const closeIteration = async () => {
      const change = await this.persist(() => {
        const to = iterationEnd(final());
        const now = n > 0 ? repos.iterations.get(id, n)?.status : undefined;
        if (now !== "running" && !(closed && now !== to)) return null;
        const change = { status: to, finishedAt: new Date().toISOString() };
        repos.iterations.update(id, n, change);
        closed = true;
        return change;
      });
      if (!change) return;
      this.deps.bus.iterationUpdated(id, n, change);
      this.send("iteration.finished", { n, verdict: null, status: change.status }, n);
    };
    await closeIteration();
    const f = final();
    if (f.kind === "interrupted") {
      const paused = await this.persist(() =>
        this.cancelRequested ? null : repos.tasks.update(id, { status: "paused", statusReason: f.reason }),
      );
      if (paused) {
        this.task = paused;
        this.deps.bus.taskUpdated(id, { status: "paused", statusReason: f.reason });
        sendPaused(this.send.bind(this), f, this.where?.agent ?? null, n);
        log.warn({ taskId: id, reason: f.reason }, "task interrupted (paused)");
        return;
      }
      await closeIteration();
    }
    await commitIteration(this.ctx, n, { unreviewed: `the task ended ${(final() as Ended).status}` });
    const ctx = { deps: this.deps, send: this.send.bind(this), persist: this.persist.bind(this) };
    this.task = await recordFinish(ctx, this.task, final() as Ended, async () => ({
      changes: await this.changes.summary(),
      ledger: this.ledger,
    }));
  }

  /** Writes fields of the task's row, then sends task.updated with them (never the whole row). */
  private async updateTask(patch: TaskPatch, how: "write" | "persist" = "write"): Promise<void> {
    const id = this.task.id;
    this.task = await this[how](() => this.deps.repos.tasks.update(id, patch));
    this.deps.bus.taskUpdated(id, patch);
  }

  /** Writes fields of iteration n, then sends iteration.updated with those the API shows. */
  private async updateIteration(n: number, patch: IterationPatch, how: "write" | "persist" = "write") {
    await this[how](() => this.deps.repos.iterations.update(this.task.id, n, patch));
    this.deps.bus.iterationUpdated(this.task.id, n, patch);
  }

  private send<T extends LoopEventType>(type: T, data: EventData<T>, iteration: number | null = null): void {
    this.deps.bus.send(this.task.id, iteration, type, data);
  }

  /** A state write that waits out another process's lock (asynchronously) for a while. */
  private write<T>(fn: () => T): Promise<T> {
    return retryBusy(fn, {
      timeoutMs: this.deps.settings.dbBusyTimeoutMs,
      where: this.deps.repos.handle.path,
    });
  }

  /** A write that must happen (how the run ended): retried until it succeeds or the server closes. */
  private persist<T>(fn: () => T): Promise<T> {
    const { repos, settings, closing, log } = this.deps;
    return retryUntil(fn, {
      where: repos.handle.path,
      busyTimeoutMs: settings.dbBusyTimeoutMs,
      signal: closing,
      onRetry: (err) =>
        log.warn({ err, taskId: this.task.id }, "could not record the run's end yet; retrying"),
    });
  }
}
