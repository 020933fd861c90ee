import type { CheckResult, FindingStatus, Landed, Usage } from "@loop/shared";
import { index, integer, primaryKey, real, sql, sqliteTable, text } from "../drizzle.ts";

export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    prompt: text("prompt").notNull(),
    workingDir: text("working_dir").notNull(),
    maxIterations: integer("max_iterations").notNull(),
    status: text("status").notNull(),
    statusReason: text("status_reason"),
    currentIteration: integer("current_iteration").notNull().default(0),
    createdAt: text("created_at").notNull(),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
    /** Per agent (shared's Usage); rows written before per-agent usage hold the old combined shape (readUsage). */
    usage: text("usage", { mode: "json" }).$type<Usage>().notNull(),
    /** Claude's total_cost_usd summed over the task (the same as usage.claude.costUsd). */
    costUsd: real("cost_usd"),
    /** The task's claude budget (total_cost_usd), null = none. */
    maxCostUsd: real("max_cost_usd"),
    /** The task's Codex token budget (input + output), null = none. */
    maxCodexTokens: integer("max_codex_tokens"),
    retryOf: text("retry_of"),
    /** Order of queued tasks (lowest runs first); reordering changes only this. */
    queuePos: real("queue_pos").notNull().default(0),
    /** "worktree" or "none" (see docs: optional isolation). */
    isolation: text("isolation").notNull().default("none"),
    /** A worktree task's worktree (under the artifacts root) and its branch loop/<id>. */
    worktreePath: text("worktree_path"),
    worktreeBranch: text("worktree_branch"),
    /** Session continuity (claude --resume) for iterations after the first. */
    continueSession: integer("continue_session", { mode: "boolean" }).notNull().default(false),
    /** A worktree task: the branch checked out in the user's repository when it started. */
    baseBranch: text("base_branch"),
    /** What became of the branch (shared's Landed): merged, squashed, pushed for a PR, discarded. */
    landed: text("landed", { mode: "json" }).$type<Landed>(),
    /** Which agent works and which reviews ("claude" or "codex"); rows from before roles: the fixed pair. */
    worker: text("worker").notNull().default("claude"),
    reviewer: text("reviewer").notNull().default("codex"),
    /** Step mode: the task pauses after every review that is not DONE. */
    pauseAfterIteration: integer("pause_after_iteration", { mode: "boolean" }).notNull().default(false),
    /** The check loop runs after every worker run (`sh -c`), null = none; its timeout. */
    checkCommand: text("check_command"),
    checkTimeoutMs: integer("check_timeout_ms").notNull().default(600_000),
    /** Commands the worker may run without asking (JSON array of strings). */
    allowedCommands: text("allowed_commands", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** A chain: the id of the task that must be done before this one starts (no foreign key: it may be deleted). */
    after: text("after"),
  },
  (t) => [
    index("tasks_status_idx").on(t.status, t.id),
    index("tasks_queue_idx").on(t.status, t.queuePos, t.id),
  ],
);

export const iterations = sqliteTable(
  "iterations",
  {
    taskId: text("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    status: text("status").notNull(),
    verdict: text("verdict"),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    claudeDurationMs: integer("claude_duration_ms"),
    codexDurationMs: integer("codex_duration_ms"),
    claudeSessionId: text("claude_session_id"),
    usage: text("usage", { mode: "json" }).$type<Usage>().notNull(),
    /** Claude's answer once its run finished: a resume after it runs only Codex. */
    claudeOutput: text("claude_output"),
    /** Codex's review once it finished: the history of later prompts comes from here. */
    review: text("review"),
    /** The working directory just before Claude's run (core's Snapshot as JSON); kept when the iteration re-runs. */
    snapshotBefore: text("snapshot_before", { mode: "json" }).$type<unknown>(),
    /** …and just after it: NNN-changes.md is the diff of the two. */
    snapshotAfter: text("snapshot_after", { mode: "json" }).$type<unknown>(),
    /** That diff as data (shared's Changes), which NNN-changes.md renders; null before it, or from older versions. */
    changes: text("changes", { mode: "json" }).$type<unknown>(),
    /** The whole task's change (changes.md) as computed after this iteration; only the latest iteration keeps it. */
    taskChanges: text("task_changes", { mode: "json" }).$type<unknown>(),
    /** Bytes of the prompts sent in this iteration. */
    claudePromptBytes: integer("claude_prompt_bytes"),
    codexPromptBytes: integer("codex_prompt_bytes"),
    /** loop's check after the worker's run (shared's CheckResult), null until it ran. */
    check: text("check", { mode: "json" }).$type<CheckResult>(),
    /** The tail of the check's output: the reviewer's prompt and the worker's next one quote it. */
    checkOutput: text("check_output"),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.n] })],
);

/** The findings ledger: one row per distinct finding of a task's reviews (see docs/findings.md). */
export const findings = sqliteTable(
  "findings",
  {
    taskId: text("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    /** `F1`, `F2`, …: stable across iterations and resumes. */
    id: text("id").notNull(),
    /** The order of first appearance (the number in the id). */
    seq: integer("seq").notNull(),
    text: text("text").notNull(),
    status: text("status").$type<FindingStatus>().notNull(),
    firstIteration: integer("first_iteration").notNull(),
    lastIteration: integer("last_iteration").notNull(),
    openSince: integer("open_since"),
    streak: integer("streak").notNull(),
    resolvedIteration: integer("resolved_iteration"),
    /** The user's reason when they dismissed it. */
    dismissReason: text("dismiss_reason"),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.id] })],
);

/**
 * The user's notes to the agents. A note is delivered to each role separately: the iteration whose
 * worker prompt (and whose review prompt) first carried it; null until then.
 */
export const notes = sqliteTable(
  "notes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: text("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    text: text("text").notNull(),
    createdAt: text("created_at").notNull(),
    forIteration: integer("for_iteration").notNull(),
    workerIteration: integer("worker_iteration"),
    reviewerIteration: integer("reviewer_iteration"),
  },
  (t) => [index("notes_task_idx").on(t.taskId, t.id)],
);

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: text("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    iteration: integer("iteration"),
    type: text("type").notNull(),
    ts: text("ts").notNull(),
    data: text("data").notNull().default(sql`'{}'`),
  },
  (t) => [index("events_task_idx").on(t.taskId, t.id)],
);

/** Every agent process loop started: what to look for (and stop) if a server died without stopping it. */
export const agentRuns = sqliteTable(
  "agent_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: text("task_id").notNull(),
    iteration: integer("iteration").notNull(),
    agent: text("agent").notNull(),
    /** Unique value of LOOP_RUN_MARKER in the agent's environment, inherited by everything it starts. */
    marker: text("marker").notNull(),
    pid: integer("pid"),
    pgid: integer("pgid"),
    /** The OS's start time of pid, so a reused pid is never signalled. */
    procStart: text("proc_start"),
    serverPid: integer("server_pid").notNull(),
    startedAt: text("started_at").notNull(),
    endedAt: text("ended_at"),
  },
  (t) => [index("agent_runs_open_idx").on(t.endedAt)],
);

/** Small key/value state that must survive a restart (the queue's pause, the running server). */
export const appState = sqliteTable("app_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** The latest state of each agent's subscription windows (claude's rate_limit_event), one row per window. */
export const subscriptionWindows = sqliteTable(
  "subscription_windows",
  {
    agent: text("agent").notNull(),
    /** "five_hour", "seven_day", … */
    window: text("window").notNull(),
    status: text("status").notNull(),
    /** Percent used (0–100), when the agent said. */
    utilization: real("utilization"),
    /** ISO time of the window's reset, when the agent said. */
    resetsAt: text("resets_at"),
    overage: text("overage", { mode: "json" }).$type<Record<string, unknown>>(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agent, t.window] })],
);
