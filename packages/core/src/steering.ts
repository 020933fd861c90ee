import { type Repositories, retryBusy } from "@loop/db";
import { AppError, canAccept, canTakeNote, type Finding, type Note, type Task } from "@loop/shared";
import type { ArtifactStore } from "./artifacts.ts";
import type { EventBus } from "./events.ts";
import { decideFinding, excerpt } from "./findings/index.ts";
import { finishDecided } from "./loop/finish.ts";
import type { Logger, RunDeps } from "./loop/run-context.ts";
import type { StopCause } from "./loop/transitions.ts";
import { notesMarkdown } from "./prompts/index.ts";
import type { Settings } from "./settings.ts";

/**
 * The person in the loop: notes to the agents, findings the user decides on, and accepting a task
 * as it is. The orchestrator hands these their context; the run loop reads what they store (the
 * notes each prompt carries, the ledger each review starts from).
 */
export interface SteeringContext {
  deps: Omit<RunDeps, "agents">;
  /** A route write (waits out another process's lock for a while). */
  write<T>(fn: () => T): Promise<T>;
  /** True while a run in this server holds the task (running, or waiting out a usage limit). */
  runningHere(id: string): boolean;
  /** Ends the usage-limit wait of a run in this server (the task is left paused, nothing running). */
  stopWait(id: string): Promise<boolean>;
}

/** The orchestrator's parts the steering requests use (its settings, artifacts and queue are public). */
export interface Steerable {
  readonly settings: Settings;
  readonly artifacts: ArtifactStore;
  resume(id: string, extra?: number, caps?: object, inTx?: () => void): Promise<Task>;
  readonly scheduler: {
    readonly runs: ReadonlyMap<string, unknown>;
    stopRun(id: string, cause: StopCause): Promise<boolean>;
  };
}

/** The steering requests' context over an orchestrator and the repositories and bus it was built with. */
export function steeringContext(
  o: Steerable,
  deps: { repos: Repositories; bus: EventBus; log: Logger; closing?: AbortSignal },
): SteeringContext {
  const { settings, artifacts } = o;
  const closing = deps.closing ?? new AbortController().signal;
  return {
    deps: { ...deps, settings, artifacts, closing },
    write: (fn) => retryBusy(fn, { timeoutMs: settings.dbBusyTimeoutMs, where: deps.repos.handle.path }),
    runningHere: (id) => o.scheduler.runs.has(id),
    stopWait: (id) => o.scheduler.stopRun(id, { kind: "accept" }),
  };
}

/** POST /resume with a note: the note is stored in the transaction that queues the task, then notes.md. */
export async function resumeWithNote(
  o: Steerable,
  ctx: SteeringContext,
  args: { id: string; extra: number; caps: object; note?: string | undefined },
): Promise<Task> {
  const { repos, bus } = ctx.deps;
  const { id, note } = args;
  const inTx = note === undefined ? undefined : () => void storeNote(repos, bus, id, note);
  const task = await o.resume(id, args.extra, args.caps, inTx);
  if (note !== undefined) await writeNotes(ctx.deps, task);
  return task;
}

const label = (status: string) => status.replace("_", " ");

/** The iteration whose prompts a note given now reaches first. */
function forIteration(repos: Repositories, id: string): number {
  const last = repos.iterations.texts(id).at(-1);
  if (!last) return 1;
  if (last.status === "done") return last.n + 1;
  // The worker of a running iteration has its prompt already: the note reaches its review first.
  return last.n;
}

/**
 * Stores a note and sends note.added; call it inside the transaction of the request that gives it.
 * Write notes.md afterwards (writeNotes).
 */
export function storeNote(repos: Repositories, bus: EventBus, id: string, text: string): Note {
  const note = repos.notes.add(id, text, forIteration(repos, id));
  bus.send(id, note.forIteration, "note.added", { note });
  return note;
}

/** notes.md: every note of the task; a file that cannot be written is a warning, the note is stored. */
export async function writeNotes(deps: Pick<RunDeps, "repos" | "artifacts" | "log">, task: Task) {
  try {
    await deps.artifacts.write(task.id, "notes.md", notesMarkdown(task, deps.repos.notes.list(task.id)));
  } catch (err) {
    deps.log.warn({ err, taskId: task.id }, "could not write notes.md");
  }
}

function getTask(repos: Repositories, id: string): Task {
  const task = repos.tasks.get(id);
  if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
  return task;
}

/** POST /api/tasks/:id/notes: a note for the next prompts of a queued, running or paused task. */
export async function addNote(ctx: SteeringContext, id: string, text: string): Promise<Note> {
  const { repos, bus } = ctx.deps;
  const note = await ctx.write(() =>
    repos.transaction(() => {
      const task = getTask(repos, id);
      if (!canTakeNote(task.status)) {
        throw new AppError(
          "not_open",
          `Task ${id} is ${label(task.status)}; a note goes to a task that will run again: resume it with the note (POST /api/tasks/${id}/resume {"note": "…"})`,
        );
      }
      return storeNote(repos, bus, id, text);
    }),
  );
  await writeNotes(ctx.deps, getTask(repos, id));
  return note;
}

/** PATCH /api/tasks/:id/findings/:findingId: the user dismisses a finding (with a reason) or opens it again. */
export async function setFinding(
  ctx: SteeringContext,
  id: string,
  findingId: string,
  status: "dismissed" | "open",
  reason?: string,
): Promise<Finding> {
  const { repos, bus } = ctx.deps;
  return ctx.write(() =>
    repos.transaction(() => {
      const task = getTask(repos, id);
      const ledger = repos.findings.list(id);
      const i = ledger.findIndex((f) => f.id === findingId.toUpperCase());
      if (i === -1) throw new AppError("finding_not_found", `Task ${id} has no finding ${findingId}`);
      const was = ledger[i]!;
      const next = decideFinding(was, status, reason);
      ledger[i] = next;
      repos.findings.replace(id, ledger);
      const opened = next.status === "open" && was.status !== "open" ? [next.id] : [];
      bus.send(id, task.currentIteration || null, "findings.updated", {
        findings: ledger,
        opened,
        resolved: [],
      });
      return next;
    }),
  );
}

/**
 * POST /api/tasks/:id/accept: a needs_attention, paused or failed task ends as done because the user
 * says so; result.md and the reason say it was accepted (a worktree task keeps its branch for landing).
 */
export async function acceptTask(ctx: SteeringContext, id: string, note?: string): Promise<Task> {
  const { repos, bus } = ctx.deps;
  let task = getTask(repos, id);
  // Waiting out a usage limit: the wait ends first (the run leaves the task paused), then it is accepted.
  if (task.status === "paused" && ctx.runningHere(id)) {
    await ctx.stopWait(id);
    task = getTask(repos, id);
  }
  if (!canAccept(task.status) || ctx.runningHere(id)) {
    const now =
      ctx.runningHere(id) && task.status === "paused" ? "waiting out a usage limit" : label(task.status);
    throw new AppError(
      "not_acceptable",
      `Task ${id} is ${now}; only a needs-attention, paused or failed task can be accepted`,
    );
  }
  const after = repos.iterations.list(id).findLast((i) => i.status === "done")?.n ?? 0;
  const when = after > 0 ? `after iteration ${after}` : "before any iteration finished";
  const reason = `Accepted by the user ${when}${note ? `: ${excerpt(note)}` : ""}`;
  if (note !== undefined) {
    await ctx.write(() => repos.transaction(() => storeNote(repos, bus, id, note)));
    await writeNotes(ctx.deps, task);
  }
  return finishDecided(ctx.deps, task, { status: "done", reason });
}
