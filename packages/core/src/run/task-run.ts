import { type Repositories, retryBusy, retryUntil } from "@loop/db";
import {
  type AgentName,
  addUsage,
  emptyUsage,
  type Finding,
  type LoopEventType,
  type Task,
} from "@loop/shared";
import { type AgentOutcome, runClaude, runCodex } from "../agents/index.ts";
import { type ArtifactStore, iterationFile } from "../artifacts.ts";
import type { EventBus, EventData } from "../events.ts";
import { findStalemate } from "../findings/index.ts";
import type { Settings } from "../settings.ts";
import { type AgentOptions, runRecordedAgent } from "./agent-step.ts";
import { claudeRemaining, costReason } from "./budget.ts";
import { ChangeTracker } from "./changes-step.ts";
import { cancelWins, type Ended, type Ending, iterationEnd, recordFinish } from "./finish.ts";
import { commitIteration, ensureWorktree, runDir } from "./isolation.ts";
import { recordReview } from "./ledger.ts";
import { iterationGate, recordRateLimits } from "./limits.ts";
import { ensureNewline, failureMarkdown } from "./reports.ts";
import { claudeTurn, codexPrompt, type HistoryEntry } from "./session.ts";
import { sleep } from "./sleep.ts";
import {
  afterFailure,
  afterReview,
  afterStepError,
  afterWaitCut,
  type Phase,
  resumePoint,
  type StopCause,
  usageLimitPolicy,
} from "./transitions.ts";
import { settleVerdict } from "./verdict-step.ts";

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RunDeps {
  repos: Repositories;
  bus: EventBus;
  settings: Settings;
  artifacts: ArtifactStore;
  log: Logger;
  /** Aborted when the server closes: endless retries of a final write give up then. */
  closing: AbortSignal;
}

type Active = Exclude<Phase, { kind: "finished" | "interrupted" }>;

/**
 * One run of one task: from where it stands (its stored iterations) to done, the cap, a failure, a
 * cancel or an interruption. Never throws; every way it ends is written to the task.
 */
export class TaskRun {
  task: Task;
  readonly done: Promise<void>;
  private readonly deps: RunDeps;
  private readonly abort = new AbortController();
  private stopCause: StopCause | null = null;
  /** A cancel that came while the run was already stopping for another reason still cancels it. */
  private cancelRequested = false;
  private history: HistoryEntry[] = [];
  /** The findings ledger, as stored with the latest review. */
  private ledger: Finding[] = [];
  private readonly changes: ChangeTracker;
  private pauses = 0;
  private where: { n: number; agent: AgentName } | null = null;
  private release!: () => void;

  constructor(deps: RunDeps, task: Task) {
    this.deps = deps;
    this.task = task;
    this.done = new Promise((r) => {
      this.release = r;
    });
    this.changes = new ChangeTracker(this.context());
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
    const point = resumePoint(repos.iterations.texts(this.task.id), this.task.maxIterations);
    if (!point.ok)
      return { kind: "finished", status: "needs_attention", reason: `Nothing to run: ${point.reason}` };
    this.history = point.history;
    this.ledger = repos.findings.list(this.task.id);
    await ensureWorktree(this.context());
    this.task = await this.write(() =>
      repos.tasks.update(this.task.id, {
        status: "running",
        statusReason: null,
        finishedAt: null,
        startedAt: this.task.startedAt ?? new Date().toISOString(),
      }),
    );
    this.send("task.started", {});
    if (point.from !== "the start") {
      const n = point.phase.n;
      this.send("task.resumed", { agent: point.phase.kind, fromIteration: n, from: point.from }, n);
    }
    log.info({ taskId: this.task.id, from: point.from }, "task started");
    return point.phase;
  }

  private step(phase: Active): Promise<Phase> {
    switch (phase.kind) {
      case "claude":
        return this.claudeStep(phase.n);
      case "codex":
        return this.codexStep(phase.n, phase.claudeOutput);
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
    const where = this.where ? `during iteration ${this.where.n} (${this.where.agent})` : "before it started";
    const next = afterStepError(err, where, { db: repos.handle.path, artifacts: settings.artifactsDir });
    const level = next.kind === "interrupted" ? "warn" : "error";
    log[level]({ err, taskId: this.task.id }, "iteration step failed");
    return next;
  }

  private async claudeStep(n: number): Promise<Phase> {
    const { repos, artifacts, settings } = this.deps;
    const id = this.task.id;
    this.where = { n, agent: "claude" };
    const gate = iterationGate({ task: this.task, n, windows: repos.limits.list(), settings });
    if (gate) return gate;
    this.task = await this.write(() =>
      repos.transaction(() => {
        repos.iterations.start(id, n);
        return repos.tasks.update(id, { currentIteration: n });
      }),
    );
    this.send("iteration.started", { n }, n);
    await this.changes.before(n);
    const outcome = await claudeTurn(this.context(), n, this.history, this.ledger, (prompt, resume) =>
      this.runAgent(n, "claude", (o) =>
        runClaude({
          ...o,
          bin: settings.claudeBin,
          extraArgs: settings.claudeArgs,
          permissionMode: settings.claudePermissionMode,
          maxBudgetUsd: claudeRemaining(this.task),
          prompt,
          resumeSessionId: resume,
        }),
      ),
    );
    await artifacts.write(
      id,
      iterationFile(n, "claude", "output"),
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown("claude", outcome),
    );
    await this.changes.after(n, this.stopCause);
    // Stored last: from here on a resume runs only Codex for this iteration.
    await this.write(() =>
      repos.iterations.update(id, n, {
        claudeDurationMs: outcome.durationMs,
        ...(outcome.ok && { claudeSessionId: outcome.sessionId, claudeOutput: outcome.output }),
      }),
    );
    if (!outcome.ok) return this.failed(n, "claude", outcome, { kind: "claude", n });
    return { kind: "codex", n, claudeOutput: outcome.output };
  }

  private async codexStep(n: number, claudeOutput: string): Promise<Phase> {
    const { repos, artifacts, settings } = this.deps;
    const id = this.task.id;
    this.where = { n, agent: "codex" };
    if (this.task.currentIteration !== n) {
      this.task = await this.write(() => repos.tasks.update(id, { currentIteration: n }));
    }
    const prompt = await codexPrompt(this.context(), n, this.history, this.ledger, claudeOutput);
    const outputName = iterationFile(n, "codex", "output");
    const outcome = await this.runAgent(n, "codex", (o) =>
      runCodex({
        ...o,
        bin: settings.codexBin,
        extraArgs: settings.codexArgs,
        outputFile: artifacts.path(id, outputName),
        prompt,
      }),
    );
    await artifacts.write(
      id,
      outputName,
      outcome.ok ? ensureNewline(outcome.output) : failureMarkdown("codex", outcome),
    );
    await this.write(() => repos.iterations.update(id, n, { codexDurationMs: outcome.durationMs }));
    if (!outcome.ok) return this.failed(n, "codex", outcome, { kind: "codex", n, claudeOutput });
    // No STATUS line: Codex is asked once more for the verdict alone (verdict-step.ts).
    const v = await settleVerdict(this.context(), n, outcome, (run) => this.runAgent(n, "codex", run));
    if (v.kind === "stopped") return this.failed(n, "codex", v.outcome, { kind: "codex", n, claudeOutput });
    const reviewed = await recordReview(this.context(), n, v.review, this.ledger);
    this.ledger = reviewed.ledger;
    await commitIteration(this.context(), n, { verdict: reviewed.verdict });
    this.history.push({ n, claudeOutput, review: v.review, verdict: reviewed.verdict });
    return afterReview({
      n,
      verdict: reviewed.verdict,
      maxIterations: this.task.maxIterations,
      stalemate: findStalemate(this.ledger, settings.stallIterations),
    });
  }

  /** Waits out a subscription usage limit, then repeats the step that hit it. A stop ends the wait. */
  private async waitStep(phase: Phase & { kind: "paused" }): Promise<Phase> {
    const { repos } = this.deps;
    const n = this.task.currentIteration || null;
    this.task = await this.write(() =>
      repos.tasks.update(this.task.id, { status: "paused", statusReason: phase.reason }),
    );
    this.send(
      "task.paused",
      { agent: phase.agent, reason: phase.reason, resumeAt: phase.until.toISOString(), attempt: this.pauses },
      n,
    );
    const waited = await sleep(Math.max(0, phase.until.getTime() - Date.now()), this.abort.signal);
    if (!waited) return afterWaitCut(this.stopCause ?? { kind: "user" }, phase.agent, n ?? 0, phase.reason);
    this.task = await this.write(() =>
      repos.tasks.update(this.task.id, { status: "running", statusReason: null }),
    );
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
    const outcome = await runRecordedAgent(this.context(), n, agent, run);
    const { repos } = this.deps;
    const id = this.task.id;
    const usage = outcome.usage;
    await this.write(() => recordRateLimits(repos, agent, outcome.rateLimits));
    if (!usage) return outcome;
    this.task = await this.write(() =>
      repos.transaction(() => {
        const it = repos.iterations.get(id, n);
        repos.iterations.update(id, n, { usage: addUsage(it?.usage ?? emptyUsage(), usage) });
        return repos.tasks.update(id, { usage: repos.iterations.usageTotal(id) });
      }),
    );
    this.send("task.usage", { agent, usage, total: this.task.usage }, n);
    return outcome;
  }

  /**
   * Writes how the run ended: finished (with result.md) or interrupted (paused, resumable). A cancel
   * that comes while an interruption waits to be recorded (a locked or full database) wins: each
   * write looks again, so a cancel answered 200 never leaves the task paused.
   */
  private async end(phase: Ending): Promise<void> {
    const { repos, log } = this.deps;
    const id = this.task.id;
    const n = this.task.currentIteration;
    const final = () => cancelWins(phase, this.cancelRequested);
    let closed = false;
    const closeIteration = async () => {
      const status = await this.persist(() => {
        const to = iterationEnd(final());
        const now = n > 0 ? repos.iterations.get(id, n)?.status : undefined;
        if (now !== "running" && !(closed && now !== to)) return null;
        repos.iterations.update(id, n, { status: to, finishedAt: new Date().toISOString() });
        closed = true;
        return to;
      });
      if (status) this.send("iteration.finished", { n, verdict: null, status }, n);
    };
    await closeIteration();
    const f = final();
    if (f.kind === "interrupted") {
      const paused = await this.persist(() =>
        this.cancelRequested ? null : repos.tasks.update(id, { status: "paused", statusReason: f.reason }),
      );
      if (paused) {
        this.task = paused;
        this.send("task.interrupted", { agent: this.where?.agent ?? null, reason: f.reason }, n || null);
        log.warn({ taskId: id, reason: f.reason }, "task interrupted (paused)");
        return;
      }
      await closeIteration();
    }
    await commitIteration(this.context(), n, { unreviewed: `the task ended ${(final() as Ended).status}` });
    const ctx = { deps: this.deps, send: this.send.bind(this), persist: this.persist.bind(this) };
    this.task = await recordFinish(ctx, this.task, final() as Ended, async () => ({
      changes: await this.changes.summary(),
      ledger: this.ledger,
    }));
  }

  /** What the steps in other files (agent-step, changes-step, ledger) get of this run. */
  private context() {
    return {
      deps: this.deps,
      task: this.task,
      taskId: this.task.id,
      workingDir: runDir(this.task),
      signal: this.abort.signal,
      send: this.send.bind(this),
      write: this.write.bind(this),
    };
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
