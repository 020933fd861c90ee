import type { Usage } from "@loop/shared";
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
    usage: text("usage", { mode: "json" }).$type<Usage>().notNull(),
    costUsd: real("cost_usd"),
    retryOf: text("retry_of"),
  },
  (t) => [index("tasks_status_idx").on(t.status, t.id)],
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
  },
  (t) => [primaryKey({ columns: [t.taskId, t.n] })],
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
