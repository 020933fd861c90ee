import { z } from "zod";
import { Finding } from "./findings.ts";

export const TASK_STATUSES = [
  "queued",
  "running",
  "paused",
  "done",
  "needs_attention",
  "failed",
  "cancelled",
] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** States a task never leaves on its own (retry creates or resumes explicitly). */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ["done", "needs_attention", "failed", "cancelled"];
export const isTerminal = (s: TaskStatus): boolean => TERMINAL_STATUSES.includes(s);

/** The hard ceiling on a task's iteration cap (contract: 1..100). */
export const MAX_ITERATIONS_LIMIT = 100;

export const Usage = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  reasoningTokens: z.number(),
  costUsd: z.number().nullable(),
});
export type Usage = z.infer<typeof Usage>;

export const Task = z.object({
  id: z.string(),
  title: z.string(),
  prompt: z.string(),
  workingDir: z.string(),
  maxIterations: z.number().int(),
  status: TaskStatus,
  statusReason: z.string().nullable(),
  currentIteration: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Aggregated over every agent run of the task. */
  usage: Usage,
  /** Id of the task this one was retried from, if any. */
  retryOf: z.string().nullable(),
  /** "worktree": the task runs in a git worktree of its own, on the branch loop/<task-id>. */
  isolation: z.enum(["none", "worktree"]),
  /** Where a worktree task runs (path) and the branch its iterations are committed on. */
  worktree: z.object({ path: z.string(), branch: z.string() }).nullable(),
});
export type Task = z.infer<typeof Task>;
export const Isolation = z.enum(["none", "worktree"], { error: 'isolation must be "none" or "worktree"' });
export type Isolation = z.infer<typeof Isolation>;

export const Verdict = z.enum(["DONE", "ISSUES_FOUND"]);
export type Verdict = z.infer<typeof Verdict>;

export const IterationStatus = z.enum(["running", "done", "failed", "cancelled", "interrupted"]);
export type IterationStatus = z.infer<typeof IterationStatus>;

export const Iteration = z.object({
  n: z.number().int(),
  status: IterationStatus,
  verdict: Verdict.nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  claudeDurationMs: z.number().nullable(),
  codexDurationMs: z.number().nullable(),
  claudeSessionId: z.string().nullable(),
  usage: Usage,
});
export type Iteration = z.infer<typeof Iteration>;

const nonBlank = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine((s) => s.trim().length > 0, `${field} must not be blank`);

/** The messages of a strict JSON body: not an object, or fields it does not know. */
const bodyErrors = (notAnObject: string) => ({
  error: (iss: { code: string; keys?: string[] }) =>
    iss.code === "invalid_type"
      ? notAnObject
      : iss.code === "unrecognized_keys"
        ? `unknown field(s): ${(iss.keys ?? []).join(", ")}`
        : undefined,
});

export const CreateTaskBody = z.strictObject(
  {
    title: nonBlank("title", 200),
    prompt: nonBlank("prompt", 100_000),
    workingDir: z
      .string({ error: "workingDir must be a string" })
      .min(1, "workingDir must not be empty")
      .max(4096, "workingDir must be at most 4096 characters")
      .refine((s) => s.startsWith("/"), "workingDir must be an absolute path"),
    maxIterations: z
      .number({ error: "maxIterations must be a number" })
      .int("maxIterations must be an integer")
      .min(1, "maxIterations must be at least 1")
      .max(MAX_ITERATIONS_LIMIT, `maxIterations must be at most ${MAX_ITERATIONS_LIMIT}`)
      .optional(),
    /** "worktree": run in a git worktree on the branch loop/<task-id>; workingDir must be in a git repository. */
    isolation: Isolation.optional(),
  },
  bodyErrors("body must be a JSON object"),
);
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

export const ResumeTaskBody = z.strictObject(
  {
    extraIterations: z
      .number({ error: "extraIterations must be a number" })
      .int("extraIterations must be an integer")
      .min(1, "extraIterations must be at least 1")
      .max(MAX_ITERATIONS_LIMIT, `extraIterations must be at most ${MAX_ITERATIONS_LIMIT}`)
      .optional(),
  },
  bodyErrors("body must be a JSON object"),
);
export type ResumeTaskBody = z.infer<typeof ResumeTaskBody>;

export const MoveTaskBody = z.strictObject(
  { to: z.enum(["top", "up", "down", "bottom"], { error: "to must be one of top, up, down, bottom" }) },
  bodyErrors("body must be a JSON object with a field to"),
);
export type MoveTaskBody = z.infer<typeof MoveTaskBody>;

export const QueueResponse = z.object({
  paused: z.boolean(),
  tasks: z.array(z.lazy(() => Task)),
  running: z.lazy(() => Task).nullable(),
  /** Set while the queue is held for an agent CLI (see HealthResponse.queue.waiting). */
  waiting: z.string().optional(),
});

export const ListTasksQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(100).optional(),
  status: TaskStatus.optional(),
});
export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

export const TaskResponse = z.object({ task: Task });
export type TaskResponse = z.infer<typeof TaskResponse>;
export const TaskListResponse = z.object({
  tasks: z.array(Task),
  nextCursor: z.string().nullable(),
  /** The newest event id when the list was read: follow GET /api/events from here to keep it current. */
  lastEventId: z.number().int(),
});
export type TaskListResponse = z.infer<typeof TaskListResponse>;
export const TaskDetailResponse = z.object({
  task: Task,
  iterations: z.array(Iteration),
  /** The findings ledger (contract: id, text, status, firstIteration, lastIteration), oldest first. */
  findings: z.array(Finding),
});
export type TaskDetailResponse = z.infer<typeof TaskDetailResponse>;

export const Artifact = z.object({ name: z.string(), size: z.number().int() });
export type Artifact = z.infer<typeof Artifact>;
export const ArtifactListResponse = z.object({ artifacts: z.array(Artifact) });
export type ArtifactListResponse = z.infer<typeof ArtifactListResponse>;

export const AgentHealth = z.object({
  bin: z.string(),
  found: z.boolean(),
  version: z.string().nullable(),
  loggedIn: z.boolean().nullable(),
  error: z.string().optional(),
  /** The newest version loop's compatibility suite passed with (e.g. "0.171.0"). */
  testedVersion: z.string().optional(),
  /** Set when the installed CLI is newer than that: "codex 0.175.0 is newer than the tested 0.171.0". */
  newerThanTested: z.string().optional(),
  /**
   * ok; warning: it runs but something needs a look (not logged in, newer than tested);
   * unavailable: missing or broken, tasks are refused (503 agent_unavailable) and the queue waits.
   */
  status: z.enum(["ok", "warning", "unavailable"]).optional(),
});
export type AgentHealth = z.infer<typeof AgentHealth>;

export const HealthResponse = z.object({
  ok: z.literal(true),
  version: z.string(),
  agents: z.object({ claude: AgentHealth, codex: AgentHealth }),
  queue: z.object({
    running: z.number().int(),
    queued: z.number().int(),
    maxDepth: z.number().int(),
    paused: z.boolean().optional(),
    /** Set while the queue is held for an agent CLI: "waiting: codex not found at /usr/bin/codex". */
    waiting: z.string().optional(),
  }),
  defaults: z.object({ maxIterations: z.number().int() }).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
