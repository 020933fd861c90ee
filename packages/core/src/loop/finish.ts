import type { AgentName, IterationStatus, LoopEventType, Task } from "@loop/shared";
import type { EventData } from "../events.ts";
import { ChangeTracker } from "./changes-step.ts";
import { runDir } from "./isolation.ts";
import { type ResultExtras, resultMarkdown } from "./reports.ts";
import type { RunDeps } from "./run-context.ts";
import type { FinalStatus, Phase } from "./transitions.ts";

export type Ending = Phase & { kind: "finished" | "interrupted" };
export type Ended = Phase & { kind: "finished" };

/** How a run ends once a user's cancel is counted: an interruption still being recorded becomes a cancel. */
export const cancelWins = (phase: Ending, cancelRequested: boolean): Ending =>
  phase.kind === "interrupted" && cancelRequested
    ? { kind: "finished", status: "cancelled", reason: `Cancelled by the user (${phase.reason})` }
    : phase;

/** The status of the iteration a run's end leaves unfinished. */
export const iterationEnd = (end: Ending): IterationStatus =>
  end.kind === "interrupted" ? "interrupted" : end.status === "cancelled" ? "cancelled" : "failed";

export interface FinishContext {
  deps: Pick<RunDeps, "repos" | "bus" | "artifacts" | "log">;
  send<T extends LoopEventType>(type: T, data: EventData<T>, iteration: number | null): void;
  /** The task row's write: one that must happen (TaskRun retries it until the server closes). */
  persist<T>(fn: () => T): Promise<T>;
}

/**
 * Records how a task finished: result.md first (whoever reacts to task.finished can already read
 * it), then the task row, then task.finished. A result.md that cannot be written is a warning.
 */
export async function recordFinish(
  ctx: FinishContext,
  task: Task,
  end: { status: FinalStatus; reason: string },
  extras: () => Promise<ResultExtras>,
): Promise<Task> {
  const { repos, artifacts, log } = ctx.deps;
  const { id } = task;
  const { status, reason } = end;
  const finishedAt = new Date().toISOString();
  const ended = { ...task, status, statusReason: reason, finishedAt };
  try {
    await artifacts.write(id, "result.md", resultMarkdown(ended, repos.iterations.list(id), await extras()));
  } catch (err) {
    log.error({ err, taskId: id }, "could not write result.md");
    ctx.send("task.warning", { message: `result.md could not be written: ${(err as Error).message}` }, null);
  }
  const patch = { status, statusReason: reason, finishedAt };
  const row = await ctx.persist(() => repos.tasks.update(id, patch));
  ctx.deps.bus.taskUpdated(id, patch);
  ctx.send("task.finished", { status, reason }, null);
  log.info({ taskId: id, status, reason }, "task finished");
  return row;
}

/**
 * Finishes, at start-up, a task whose end its stored iterations had already decided (a server that
 * died between storing Codex's last review and the task row): changes.md and result.md as the run
 * would have written them, the row, task.finished. See recovery.ts.
 */
export function finishDecided(
  deps: Omit<RunDeps, "agents">,
  task: Task,
  end: { status: FinalStatus; reason: string },
): Promise<Task> {
  const send: FinishContext["send"] = (type, data, n) => deps.bus.send(task.id, n, type, data);
  const write = async <T>(fn: () => T) => fn();
  const changes = new ChangeTracker({
    deps,
    task,
    taskId: task.id,
    workingDir: runDir(task),
    signal: deps.closing,
    send,
    write,
  });
  return recordFinish({ deps, send, persist: write }, task, end, async () => ({
    changes: await changes.summary(),
    ledger: deps.repos.findings.list(task.id),
  }));
}

/** The event of a run that ends paused: task.waiting (step mode waits for the user) or task.interrupted. */
export function sendPaused(
  send: FinishContext["send"],
  f: Ending & { kind: "interrupted" },
  agent: AgentName | null,
  n: number,
): void {
  if (f.waiting) send("task.waiting", { reason: f.reason, openFindings: f.waiting.openFindings }, n);
  else send("task.interrupted", { agent, reason: f.reason }, n || null);
}
