import { AgentName, emptyUsage, Landed, readUsage, type Task, type TaskStatus } from "@loop/shared";
import { monotonicFactory } from "ulid";
import type { Db } from "../client.ts";
import { and, asc, count, desc, eq, lt, sql } from "../drizzle.ts";
import { tasks } from "../schema/index.ts";

type Row = typeof tasks.$inferSelect;

const toTask = (r: Row): Task => ({
  id: r.id,
  title: r.title,
  prompt: r.prompt,
  workingDir: r.workingDir,
  maxIterations: r.maxIterations,
  status: r.status as TaskStatus,
  statusReason: r.statusReason,
  currentIteration: r.currentIteration,
  createdAt: r.createdAt,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  usage: readUsage(r.usage),
  maxCostUsd: r.maxCostUsd,
  maxCodexTokens: r.maxCodexTokens,
  retryOf: r.retryOf,
  isolation: r.isolation === "worktree" ? "worktree" : "none",
  worktree: r.worktreePath && r.worktreeBranch ? { path: r.worktreePath, branch: r.worktreeBranch } : null,
  continueSession: r.continueSession,
  baseBranch: r.baseBranch,
  landed: r.landed ? Landed.parse(r.landed) : null,
  worker: agentOr(r.worker, "claude"),
  reviewer: agentOr(r.reviewer, "codex"),
  pauseAfterIteration: r.pauseAfterIteration,
  checkCommand: r.checkCommand,
  checkTimeoutMs: r.checkTimeoutMs,
  allowedCommands: Array.isArray(r.allowedCommands) ? r.allowedCommands : [],
  after: r.after,
});

const agentOr = (v: string, fallback: AgentName): AgentName => AgentName.safeParse(v).data ?? fallback;

export interface NewTask {
  /** From newId(); generated when absent. */
  id?: string;
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations: number;
  retryOf?: string | null;
  isolation?: Task["isolation"];
  worktree?: Task["worktree"];
  continueSession?: boolean | undefined;
  maxCostUsd?: number | null;
  maxCodexTokens?: number | null;
  worker?: AgentName | undefined;
  reviewer?: AgentName | undefined;
  pauseAfterIteration?: boolean | undefined;
  checkCommand?: string | null | undefined;
  checkTimeoutMs?: number | undefined;
  allowedCommands?: string[] | undefined;
  after?: string | null | undefined;
}

export type TaskPatch = Partial<
  Pick<
    Task,
    | "status"
    | "statusReason"
    | "currentIteration"
    | "startedAt"
    | "finishedAt"
    | "usage"
    | "maxCostUsd"
    | "maxCodexTokens"
    | "baseBranch"
    | "landed"
  >
>;

export class TaskRepository {
  // ULIDs: URL-safe, sort by creation time, monotonic within one millisecond.
  private readonly nextId = monotonicFactory();

  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** A fresh task id (ULID), for callers that prepare files before the row exists. */
  newId(now = new Date()): string {
    return this.nextId(now.getTime());
  }

  /** Inserts a queued task at the end of the queue. */
  create(input: NewTask, now = new Date()): Task {
    const row: Row = {
      id: input.id ?? this.nextId(now.getTime()),
      title: input.title,
      prompt: input.prompt,
      workingDir: input.workingDir,
      maxIterations: input.maxIterations,
      status: "queued",
      statusReason: null,
      currentIteration: 0,
      createdAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      usage: emptyUsage(),
      costUsd: null,
      maxCostUsd: input.maxCostUsd ?? null,
      maxCodexTokens: input.maxCodexTokens ?? null,
      retryOf: input.retryOf ?? null,
      queuePos: this.tailPos(),
      isolation: input.isolation ?? "none",
      worktreePath: input.worktree?.path ?? null,
      worktreeBranch: input.worktree?.branch ?? null,
      continueSession: input.continueSession ?? false,
      baseBranch: null,
      landed: null,
      worker: input.worker ?? "claude",
      reviewer: input.reviewer ?? "codex",
      pauseAfterIteration: input.pauseAfterIteration ?? false,
      checkCommand: input.checkCommand ?? null,
      checkTimeoutMs: input.checkTimeoutMs ?? 600_000,
      allowedCommands: input.allowedCommands ?? [],
      after: input.after ?? null,
    };
    this.db.insert(tasks).values(row).run();
    return toTask(row);
  }

  get(id: string): Task | undefined {
    const r = this.db.select().from(tasks).where(eq(tasks.id, id)).get();
    return r ? toTask(r) : undefined;
  }

  /**
   * Newest first; `cursor` is the id of the last task of the previous page; `q` keeps titles that
   * contain it (case-insensitive for ASCII, `%` and `_` taken literally).
   */
  list(opts: { limit: number; cursor?: string; status?: TaskStatus; q?: string }): {
    tasks: Task[];
    nextCursor: string | null;
  } {
    const conds = [];
    if (opts.cursor) conds.push(lt(tasks.id, opts.cursor));
    if (opts.status) conds.push(eq(tasks.status, opts.status));
    if (opts.q) {
      const pattern = `%${opts.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conds.push(sql`${tasks.title} LIKE ${pattern} ESCAPE '\\'`);
    }
    const rows = this.db
      .select()
      .from(tasks)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(desc(tasks.id))
      .limit(opts.limit + 1)
      .all();
    const page = rows.slice(0, opts.limit).map(toTask);
    const nextCursor = rows.length > opts.limit ? (page.at(-1)?.id ?? null) : null;
    return { tasks: page, nextCursor };
  }

  /** Deletes the task; its iterations and events go with it (ON DELETE CASCADE). */
  delete(id: string): boolean {
    return this.db.delete(tasks).where(eq(tasks.id, id)).run().changes > 0;
  }

  /**
   * Writes with `.run()` and reads the row back with its own SELECT: better-sqlite3 answers an
   * `UPDATE … RETURNING` read through `.get()` with the new row even when SQLite could not store it
   * (SQLITE_FULL on a full disk), while `.run()` throws.
   */
  update(id: string, patch: TaskPatch): Task {
    const set: Partial<Row> = { ...patch };
    if (patch.usage) set.costUsd = patch.usage.claude.costUsd;
    return this.written(id, this.db.update(tasks).set(set).where(eq(tasks.id, id)).run().changes);
  }

  /** Queues a task again (resume) at the end of the queue. */
  requeue(id: string, patch: TaskPatch & { maxIterations?: number }): Task {
    const { changes } = this.db
      .update(tasks)
      .set({ ...patch, status: "queued", queuePos: this.tailPos() })
      .where(eq(tasks.id, id))
      .run();
    return this.written(id, changes);
  }

  /** The row as stored after a write that changed `changes` rows. */
  private written(id: string, changes: number): Task {
    const r = changes > 0 ? this.db.select().from(tasks).where(eq(tasks.id, id)).get() : undefined;
    if (!r) throw new Error(`task ${id} not found`);
    return toTask(r);
  }

  /** The head of the queue: lowest position, then oldest. */
  nextQueued(): Task | undefined {
    return this.listQueued(1)[0];
  }

  /** Queued tasks in the order they will run. */
  listQueued(limit = 1000): Task[] {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.status, "queued"))
      .orderBy(asc(tasks.queuePos), asc(tasks.id))
      .limit(limit)
      .all()
      .map(toTask);
  }

  /** Rewrites the queue's order to `ids` (every queued task, in their new order). */
  reorderQueue(ids: readonly string[]): void {
    ids.forEach((id, i) => {
      this.db
        .update(tasks)
        .set({ queuePos: i + 1 })
        .where(and(eq(tasks.id, id), eq(tasks.status, "queued")))
        .run();
    });
  }

  private tailPos(): number {
    const r = this.db
      .select({ pos: sql<number>`COALESCE(MAX(${tasks.queuePos}), 0)` })
      .from(tasks)
      .where(eq(tasks.status, "queued"))
      .get();
    return (r?.pos ?? 0) + 1;
  }

  countByStatus(status: TaskStatus): number {
    return this.db.select({ n: count() }).from(tasks).where(eq(tasks.status, status)).get()?.n ?? 0;
  }

  listByStatus(status: TaskStatus): Task[] {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.status, status))
      .orderBy(asc(tasks.id))
      .all()
      .map(toTask);
  }
}
