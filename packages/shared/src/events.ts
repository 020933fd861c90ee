import { z } from "zod";
import { AgentName } from "./agent.ts";
import { Finding, Note } from "./findings.ts";
import { Iteration, Task, TaskStatus, Usage, Verdict } from "./task.ts";

/** task.updated's row: the id and what changed, never the unchanged prompt (up to 100 000 characters). */
export const TaskChange = Task.partial().extend({ id: z.string() });
export type TaskChange = z.infer<typeof TaskChange>;
export const IterationChange = Iteration.partial().extend({ n: z.number().int() });
export type IterationChange = z.infer<typeof IterationChange>;

/** Why an agent run failed, decided at the runner boundary. */
export const AgentErrorKind = z.enum([
  "timeout",
  "idle_timeout",
  "cancelled",
  "spawn_failed",
  "exit_nonzero",
  "agent_error",
  "usage_limit",
  /** claude stopped at --max-budget-usd (result subtype error_max_budget_usd): the task's budget is spent. */
  "budget_exceeded",
  "no_result",
  "empty_output",
]);
export type AgentErrorKind = z.infer<typeof AgentErrorKind>;

/**
 * A readable form of one parsed JSON line (assistant text, a tool call, a command run, …).
 * `kind` is open: the UI shows `text` for unknown kinds.
 */
export const ParsedLine = z.object({
  kind: z.string(),
  text: z.string(),
});
export type ParsedLine = z.infer<typeof ParsedLine>;

const ev = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.number().int(),
    taskId: z.string(),
    iteration: z.number().int().nullable(),
    type: z.literal(type),
    ts: z.string(),
    data,
  });

export const LoopEvent = z.discriminatedUnion("type", [
  ev(
    "task.created",
    z.object({
      title: z.string(),
      workingDir: z.string(),
      maxIterations: z.number(),
      retryOf: z.string().optional(),
    }),
  ),
  ev("task.started", z.object({ attempt: z.number().int().optional() })),
  ev("iteration.started", z.object({ n: z.number().int() })),
  ev(
    "agent.started",
    z.object({ agent: AgentName, pid: z.number().int().nullable(), argv: z.array(z.string()) }),
  ),
  ev(
    "agent.output",
    z.object({
      agent: AgentName,
      stream: z.enum(["stdout", "stderr"]),
      line: z.string(),
      /** Present on the 2nd..nth piece of a line longer than the per-event limit. */
      continuation: z.boolean().optional(),
      /** False on every piece but the last of a split line. */
      final: z.boolean().optional(),
      parsed: ParsedLine.optional(),
    }),
  ),
  ev(
    "agent.finished",
    z.object({
      agent: AgentName,
      exitCode: z.number().int().nullable(),
      durationMs: z.number(),
      ok: z.boolean(),
      error: z.string().optional(),
      errorKind: AgentErrorKind.optional(),
      usage: Usage.optional(),
    }),
  ),
  ev("review.verdict", z.object({ status: Verdict, firstLine: z.string() })),
  ev(
    "iteration.finished",
    z.object({ n: z.number().int(), verdict: Verdict.nullable(), status: z.string() }),
  ),
  ev("task.warning", z.object({ message: z.string() })),
  ev("task.finished", z.object({ status: TaskStatus, reason: z.string() })),
  ev("task.cancel_requested", z.object({})),
  ev(
    "task.paused",
    z.object({ agent: AgentName, reason: z.string(), resumeAt: z.string(), attempt: z.number().int() }),
  ),
  ev(
    "task.resumed",
    z.object({
      agent: AgentName,
      /** Set when a run continues a task's earlier run (POST /resume, or the next run after a stop). */
      fromIteration: z.number().int().optional(),
      /** "iteration 2 (codex; claude's answer is kept)" */
      from: z.string().optional(),
    }),
  ),
  /** The run stopped for a reason that is not the task's fault (server stop, crash, storage); it is paused. */
  ev("task.interrupted", z.object({ agent: AgentName.nullable(), reason: z.string() })),
  /** POST /resume queued the task again. */
  ev("task.requeued", z.object({ maxIterations: z.number().int(), from: z.string() })),
  ev("task.usage", z.object({ agent: AgentName, usage: Usage, total: Usage })),
  /**
   * An artifact with what changed was written: `NNN-changes.md` for one iteration's Claude run
   * (scope "iteration", the event's iteration), `changes.md` for the whole task so far (scope "task").
   */
  ev(
    "changes.recorded",
    z.object({
      scope: z.enum(["iteration", "task"]),
      artifact: z.string(),
      /** "2 files changed, +12 -4", "No files changed.", or why nothing could be compared. */
      summary: z.string(),
      files: z.number().int(),
      added: z.number().int(),
      deleted: z.number().int(),
    }),
  ),
  /** The findings ledger after a review changed it: the whole ledger, as in GET /api/tasks/:id. */
  ev(
    "findings.updated",
    z.object({
      findings: z.array(Finding),
      /** Ids this review added or reopened, and those it resolved. */
      opened: z.array(z.string()),
      resolved: z.array(z.string()),
    }),
  ),
  /** The user gave a note for the agents (its iteration: the one whose prompts carry it first). */
  ev("note.added", z.object({ note: Note })),
  /**
   * Step mode: the task stopped after a review that was not DONE and waits for the user (it is
   * paused; POST /resume goes on, POST /accept ends it).
   */
  ev("task.waiting", z.object({ reason: z.string(), openFindings: z.number().int() })),
  /**
   * A task row changed (created, started, paused, finished, usage, …): its `id` and the fields that
   * changed, as in GET /api/tasks/:id's `task` (a new task: all of them). Whoever writes the row
   * sends it right after; a client merges it into the task it holds.
   */
  ev("task.updated", z.object({ task: TaskChange })),
  /** loop's own check (the task's checkCommand) started after the worker's run. */
  ev("check.started", z.object({ command: z.string() })),
  /** One line the check printed (stored up to LOOP_MAX_OUTPUT_MB, like agent output). */
  ev(
    "check.output",
    z.object({
      stream: z.enum(["stdout", "stderr"]),
      line: z.string(),
      continuation: z.boolean().optional(),
      final: z.boolean().optional(),
    }),
  ),
  ev(
    "check.finished",
    z.object({
      command: z.string(),
      exitCode: z.number().int().nullable(),
      ok: z.boolean(),
      durationMs: z.number(),
      timedOut: z.boolean(),
    }),
  ),
  /** An iteration row changed: its `n` and the fields that changed (a started iteration: all of them). */
  ev("iteration.updated", z.object({ iteration: IterationChange })),
]);
export type LoopEvent = z.infer<typeof LoopEvent>;
export type LoopEventType = LoopEvent["type"];
export type EventOf<T extends LoopEventType> = Extract<LoopEvent, { type: T }>;
/** An event before storage gave it an id and a timestamp. */
export type NewEvent = {
  [K in LoopEventType]: Omit<EventOf<K>, "id" | "ts">;
}[LoopEventType];

/**
 * A live-only message: never stored, never replayed, sent without an SSE `id:` line. `agent.partial`
 * is the text an agent is writing right now (claude --include-partial-messages): `text` is its
 * last ≤ PARTIAL_TAIL_CHARS characters so far, `length` all of it; it is complete (and stored, once)
 * when the assistant message arrives as an agent.output.
 */
export const EphemeralEvent = z.object({
  type: z.literal("agent.partial"),
  taskId: z.string(),
  iteration: z.number().int().nullable(),
  data: z.object({ agent: AgentName, text: z.string(), length: z.number().int() }),
});
export type EphemeralEvent = z.infer<typeof EphemeralEvent>;

/**
 * An agent.partial as a stream sends it, only to a stream opened with `?partial=1`: a frame
 * `event: partial` + `data: <this JSON>` with no `id:` line, so EventSource's onmessage never sees
 * it and a client's Last-Event-ID never moves on it.
 */
export const PartialMessage = z.object({
  taskId: z.string(),
  iteration: z.number().int().nullable(),
  agent: AgentName,
  text: z.string(),
  length: z.number().int(),
});
export type PartialMessage = z.infer<typeof PartialMessage>;
export const partialMessage = (e: EphemeralEvent): PartialMessage => ({
  taskId: e.taskId,
  iteration: e.iteration,
  agent: e.data.agent,
  text: e.data.text,
  length: e.data.length,
});
export const PARTIAL_TAIL_CHARS = 2000;

/** Largest piece of an output line stored in one event (longer lines are split). */
export const MAX_LINE_BYTES = 64 * 1024;
