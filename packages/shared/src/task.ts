import { z } from "zod";
import { AgentName } from "./agent.ts";
import { Finding, MAX_NOTE_CHARS, Note } from "./findings.ts";
import { MAX_ITERATIONS_LIMIT } from "./iterations.ts";
import { GhHealth, Landed } from "./landing.ts";
import { SubscriptionWindow } from "./limits.ts";
import { TASK_STATUSES } from "./statuses.ts";

export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export { MAX_ITERATIONS_LIMIT };

/** What Claude used, as its `result` line reports it (total_cost_usd, usage, num_turns, duration_api_ms). */
export const ClaudeUsage = z.object({
  /** total_cost_usd: API-rate dollars (on a subscription: what the metered credit is charged). */
  costUsd: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  turns: z.number(),
  apiMs: z.number(),
});
export type ClaudeUsage = z.infer<typeof ClaudeUsage>;

/** What Codex used, as its `turn.completed` usage reports it (no cost: codex prints none). */
export const CodexUsage = z.object({
  /** input_tokens (the cached ones included). */
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  cacheWriteTokens: z.number(),
  outputTokens: z.number(),
  /** reasoning_output_tokens (part of the output tokens). */
  reasoningTokens: z.number(),
});
export type CodexUsage = z.infer<typeof CodexUsage>;

/** Usage kept apart per agent: the two run on different subscriptions and are never added together. */
export const Usage = z.object({ claude: ClaudeUsage, codex: CodexUsage });
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
  /** Per agent, the sum over the task's iterations (every run of each, resumed ones included). */
  usage: Usage,
  /** The most the task may spend on claude, as claude reports it (total_cost_usd); null = no budget. */
  maxCostUsd: z.number().nullable(),
  /** The most Codex tokens (input + output) the task may use; null = no budget. */
  maxCodexTokens: z.number().int().nullable(),
  /** Id of the task this one was retried from, if any. */
  retryOf: z.string().nullable(),
  /** "worktree": the task runs in a git worktree of its own, on the branch loop/<task-id>. */
  isolation: z.enum(["none", "worktree"]),
  /** Where a worktree task runs (path) and the branch its iterations are committed on. */
  worktree: z.object({ path: z.string(), branch: z.string() }).nullable(),
  /** Iterations after the first continue Claude's own conversation (`--resume`) and get only what is new. */
  continueSession: z.boolean(),
  /** A worktree task: the branch checked out in the user's repository when it started (merges go there). */
  baseBranch: z.string().nullable(),
  /** What became of a worktree task's branch (merged, squashed, pushed for a PR, discarded), or null. */
  landed: Landed.nullable(),
  /** The agent that works on the task (changes the working directory): claude unless the task said. */
  worker: AgentName,
  /** The agent that reviews each iteration read-only (its first line is the STATUS): codex unless said. */
  reviewer: AgentName,
  /** Step mode: after every review that is not DONE the task pauses and waits for the user. */
  pauseAfterIteration: z.boolean(),
  /** The command loop runs itself (`sh -c`) after every worker run; null = no check. */
  checkCommand: z.string().nullable(),
  /** How long the check may run before its process tree is killed (it then counts as failing). */
  checkTimeoutMs: z.number().int(),
  /** Shell commands the worker may run without asking (claude: `--allowedTools "Bash(<command>:*)"`). */
  allowedCommands: z.array(z.string()),
  /** A chain: the task stays queued until this task is done; when that one ends any other way, this one is cancelled. */
  after: z.string().nullable(),
});
export type Task = z.infer<typeof Task>;

/** loop's check of one iteration: how the task's checkCommand ended after the worker's run. */
export const CheckResult = z.object({
  /** The shell's exit code (127: command not found); null when it was killed (its timeout). */
  exitCode: z.number().int().nullable(),
  ok: z.boolean(),
  durationMs: z.number(),
  /** Killed at checkTimeoutMs (counts as failing). */
  timedOut: z.boolean().optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;

/** Bounds of the check fields (contract: "Checks: done means verified"). */
export const CHECK_COMMAND_MAX = 2000;
export const CHECK_TIMEOUT_MIN_MS = 1000;
export const CHECK_TIMEOUT_MAX_MS = 3_600_000;
export const MAX_ALLOWED_COMMANDS = 50;

const role = () => z.enum(AgentName.options, { error: 'must be "claude" or "codex"' });
export const Isolation = z.enum(["none", "worktree"], { error: 'must be "none" or "worktree"' });
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
  /** Per agent, every run of this iteration (a repeated run adds to it). */
  usage: Usage,
  /** Bytes (UTF-8) of the prompt sent to each agent in this iteration (NNN-<agent>-prompt.md); null before it was sent. */
  claudePromptBytes: z.number().int().nullable(),
  codexPromptBytes: z.number().int().nullable(),
  /** loop's check after the worker's run; null when the task has none or it has not run yet. */
  check: CheckResult.nullable(),
});
export type Iteration = z.infer<typeof Iteration>;

/*
 * Issue messages say what is wrong, not which field: describeZodError puts the field's name in
 * front ("title: must not be empty") and the web puts the form's label there ("Title must not be
 * empty"). Each field reports one issue at a time (the first check that fails stops the rest).
 */
const typeError = (what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? "is required" : `must be ${what}`;

/** 100000 → "100,000". Not toLocaleString: building it at import starts Intl, ~10 ms of every start. */
const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ",");

const text = (max: number) =>
  z
    .string({ error: typeError("text") })
    .max(max, { error: `must be at most ${thousands(max)} characters`, abort: true })
    .refine((s) => s.trim().length > 0, "must not be empty");

const count = () =>
  z
    .number({ error: typeError("a number") })
    .int({ error: "must be a whole number", abort: true })
    .min(1, { error: "must be at least 1", abort: true })
    .max(MAX_ITERATIONS_LIMIT, `must be at most ${MAX_ITERATIONS_LIMIT}`);

/** The messages of a strict JSON body: not an object, or fields it does not know. */
const bodyErrors = (notAnObject: string) => ({
  error: (iss: { code: string; keys?: string[] }) =>
    iss.code === "invalid_type"
      ? notAnObject
      : iss.code === "unrecognized_keys"
        ? `unknown field${(iss.keys ?? []).length === 1 ? "" : "s"}: ${(iss.keys ?? []).join(", ")}`
        : undefined,
});

/** A note's text: 1–20 000 characters, not only blanks; kept verbatim. */
const noteText = () => text(MAX_NOTE_CHARS);

const maxCostUsd = z
  .number({ error: "maxCostUsd must be a number" })
  .positive("maxCostUsd must be greater than 0")
  .max(1_000_000, "maxCostUsd must be at most 1000000");
const maxCodexTokens = z
  .number({ error: "maxCodexTokens must be a number" })
  .int("maxCodexTokens must be an integer")
  .min(1, "maxCodexTokens must be at least 1");

export const CreateTaskBody = z
  .strictObject(
    {
      title: text(200),
      prompt: text(100_000),
      workingDir: z
        .string({ error: typeError("text") })
        .min(1, { error: "must not be empty", abort: true })
        .max(4096, { error: "must be at most 4,096 characters", abort: true })
        .refine((s) => s.startsWith("/"), "must be an absolute path (starting with /)"),
      maxIterations: count().optional(),
      /** "worktree": run in a git worktree on the branch loop/<task-id>; workingDir must be in a git repository. */
      isolation: Isolation.optional(),
      /** true: iteration N > 1 resumes Claude's session with only what is new; default LOOP_CONTINUE_SESSION. */
      continueSession: z.boolean({ error: "continueSession must be a boolean" }).optional(),
      /** The most the task may spend on claude, as claude reports it (total_cost_usd). Default LOOP_MAX_COST_USD. */
      maxCostUsd: maxCostUsd.optional(),
      /** The most Codex tokens (input + output) the task may use. Default LOOP_MAX_CODEX_TOKENS. */
      maxCodexTokens: maxCodexTokens.optional(),
      /** Which agent works ("claude" or "codex"); default LOOP_WORKER. */
      worker: role().optional(),
      /** Which agent reviews ("codex" or "claude"); default LOOP_REVIEWER; never the worker. */
      reviewer: role().optional(),
      /** Step mode: pause after every review that is not DONE (default false). */
      pauseAfterIteration: z.boolean({ error: "pauseAfterIteration must be a boolean" }).optional(),
      /** Run with `sh -c` in the working directory after every worker run; default LOOP_CHECK_COMMAND. */
      checkCommand: text(CHECK_COMMAND_MAX).optional(),
      /** Default LOOP_CHECK_TIMEOUT_MS (600000). */
      checkTimeoutMs: z
        .number({ error: typeError("a number") })
        .int({ error: "must be a whole number", abort: true })
        .min(CHECK_TIMEOUT_MIN_MS, { error: `must be at least ${CHECK_TIMEOUT_MIN_MS}`, abort: true })
        .max(CHECK_TIMEOUT_MAX_MS, `must be at most ${CHECK_TIMEOUT_MAX_MS}`)
        .optional(),
      /** Commands the worker may run without asking; default LOOP_ALLOWED_COMMANDS. */
      allowedCommands: z
        .array(text(CHECK_COMMAND_MAX), { error: "must be a list of commands" })
        .max(MAX_ALLOWED_COMMANDS, `must hold at most ${MAX_ALLOWED_COMMANDS} commands`)
        .optional(),
      /** Run after this task (its id) is done; cancelled when that one ends any other way. */
      after: text(64).optional(),
    },
    bodyErrors("the body must be a JSON object"),
  )
  .refine((b) => b.worker === undefined || b.worker !== b.reviewer, {
    path: ["reviewer"],
    error: "must be a different agent from the worker",
  });
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

export const ResumeTaskBody = z.strictObject(
  {
    extraIterations: count().optional(),
    /** A new claude budget for the task (it replaces the old one; raise it to go on after a budget stop). */
    maxCostUsd: maxCostUsd.optional(),
    /** A new Codex token budget for the task. */
    maxCodexTokens: maxCodexTokens.optional(),
    /** The user's note for the next iteration's prompts (both agents), verbatim. */
    note: noteText().optional(),
  },
  bodyErrors("the body must be a JSON object"),
);
export type ResumeTaskBody = z.infer<typeof ResumeTaskBody>;

export const NoteBody = z.strictObject(
  { text: noteText() },
  bodyErrors('the body must be a JSON object with a field "text"'),
);
export type NoteBody = z.infer<typeof NoteBody>;

export const AcceptTaskBody = z.strictObject(
  { note: noteText().optional() },
  bodyErrors("the body must be a JSON object"),
);
export type AcceptTaskBody = z.infer<typeof AcceptTaskBody>;

export const FindingPatchBody = z.strictObject(
  {
    status: z.enum(["dismissed", "open"], { error: 'must be "dismissed" or "open"' }),
    /** Why it is dismissed: the reviewer's next prompts say so. */
    reason: z
      .string({ error: typeError("text") })
      .max(2000, { error: "must be at most 2,000 characters" })
      .optional(),
  },
  bodyErrors('the body must be a JSON object with a field "status"'),
);
export type FindingPatchBody = z.infer<typeof FindingPatchBody>;

export const MoveTaskBody = z.strictObject(
  { to: z.enum(["top", "up", "down", "bottom"], { error: "must be one of top, up, down, bottom" }) },
  bodyErrors('the body must be a JSON object with a field "to"'),
);
export type MoveTaskBody = z.infer<typeof MoveTaskBody>;
export type QueueMove = MoveTaskBody["to"];

export const QueueResponse = z.object({
  paused: z.boolean(),
  tasks: z.array(z.lazy(() => Task)),
  running: z.lazy(() => Task).nullable(),
  /** Every running task in the order they started (`running`: the first), at most `maxParallel` (LOOP_MAX_PARALLEL); */
  runningTasks: z.array(z.lazy(() => Task)),
  maxParallel: z.number().int(),
  /** why each queued task that does not start now waits, by id ("waits for 01K… to finish"). */
  waits: z.record(z.string(), z.string()),
  /** Set while the queue is held for an agent CLI (see HealthResponse.queue.waiting). */
  waiting: z.string().optional(),
});
export type QueueResponse = z.infer<typeof QueueResponse>;

export const ListTasksQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(100).optional(),
  status: TaskStatus.optional(),
  /** Keeps tasks whose title contains this text (case-insensitive); combines with status and cursor. */
  q: z.string().trim().min(1, "q must not be empty").max(200).optional(),
});
export type ListTasksQuery = z.infer<typeof ListTasksQuery>;

/** The `:id` of /api/tasks/:id/…; a bad one is 400 invalid_query. */
export const TaskIdParams = z.object({ id: z.string().min(1).max(100) });
export type TaskIdParams = z.infer<typeof TaskIdParams>;
export const ArtifactParams = TaskIdParams.extend({ name: z.string().min(1).max(200) });
export type ArtifactParams = z.infer<typeof ArtifactParams>;

/** DELETE /api/tasks/:id?deleteBranch=1 also deletes a worktree task's branch. */
export const DeleteTaskQuery = z.strictObject({
  deleteBranch: z.enum(["0", "1", "true", "false"], { error: "must be 1 or 0" }).optional(),
});
export type DeleteTaskQuery = z.infer<typeof DeleteTaskQuery>;
export const DeleteTaskResponse = z.object({ deleted: z.string() });
export type DeleteTaskResponse = z.infer<typeof DeleteTaskResponse>;

export const TaskResponse = z.object({ task: Task });
export type TaskResponse = z.infer<typeof TaskResponse>;
/** POST /api/tasks/:id/merge: the task (with `landed`) and the new commit on its base branch. */
export const MergeResponse = z.object({ task: Task, commit: z.string() });
export type MergeResponse = z.infer<typeof MergeResponse>;
/** POST /api/tasks/:id/pr: the pull request's address and the task (with `landed`). */
export const PrResponse = z.object({ url: z.string(), task: Task });
export type PrResponse = z.infer<typeof PrResponse>;
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
  /** The user's notes to the agents, oldest first (notes.md holds the same). */
  notes: z.array(Note),
  /** The newest event id when the task was read: events after it (task.updated, …) are newer than this. */
  lastEventId: z.number().int(),
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
  /** The GitHub CLI (LOOP_GH_BIN), which opens pull requests. */
  gh: GhHealth.optional(),
  queue: z.object({
    running: z.number().int(),
    queued: z.number().int(),
    maxDepth: z.number().int(),
    paused: z.boolean().optional(),
    /** Set while the queue is held for an agent CLI: "waiting: codex not found at /usr/bin/codex". */
    waiting: z.string().optional(),
  }),
  defaults: z
    .object({
      maxIterations: z.number().int(),
      /** Who works and who reviews a task that names neither (LOOP_WORKER / LOOP_REVIEWER). */
      worker: AgentName.optional(),
      reviewer: AgentName.optional(),
    })
    .optional(),
  /** SSE responses open now (a browser holds one live one); live: those that are not a ?once=1 replay. */
  eventStreams: z.number().int().optional(),
  liveEventStreams: z.number().int().optional(),
  /** The latest subscription windows per agent (the same as GET /api/limits). */
  limits: z.array(SubscriptionWindow).optional(),
  /**
   * What a claude worker may do without asking: its --permission-mode and the commands given as
   * --allowedTools (LOOP_ALLOWED_COMMANDS and LOOP_CHECK_COMMAND; a task adds its own).
   */
  permissions: z
    .object({ mode: z.string(), allowedCommands: z.array(z.string()), checkCommand: z.string().nullable() })
    .optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
