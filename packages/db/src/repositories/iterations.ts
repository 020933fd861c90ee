import {
  Changes,
  type CheckResult,
  emptyUsage,
  type Iteration,
  type IterationStatus,
  readUsage,
  sumUsage,
  type Usage,
  type Verdict,
} from "@loop/shared";
import type { Db } from "../client.ts";
import { and, asc, desc, eq, isNotNull, or, sql } from "../drizzle.ts";
import { iterations } from "../schema/index.ts";

type Row = typeof iterations.$inferSelect;

/** The columns an Iteration is read from: not the snapshots or the changes, which can be large. */
const WIRE = {
  n: iterations.n,
  status: iterations.status,
  verdict: iterations.verdict,
  startedAt: iterations.startedAt,
  finishedAt: iterations.finishedAt,
  claudeDurationMs: iterations.claudeDurationMs,
  codexDurationMs: iterations.codexDurationMs,
  claudeSessionId: iterations.claudeSessionId,
  usage: iterations.usage,
  claudePromptBytes: iterations.claudePromptBytes,
  codexPromptBytes: iterations.codexPromptBytes,
  check: iterations.check,
};

const toIteration = (r: Pick<Row, keyof typeof WIRE>): Iteration => ({
  n: r.n,
  status: r.status as IterationStatus,
  verdict: (r.verdict as Verdict | null) ?? null,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  claudeDurationMs: r.claudeDurationMs,
  codexDurationMs: r.codexDurationMs,
  claudeSessionId: r.claudeSessionId,
  usage: readUsage(r.usage),
  claudePromptBytes: r.claudePromptBytes,
  codexPromptBytes: r.codexPromptBytes,
  check: r.check ?? null,
});

export type IterationPatch = Partial<Omit<Iteration, "n" | "startedAt">> & {
  claudeOutput?: string | null;
  review?: string | null;
  snapshotBefore?: unknown;
  snapshotAfter?: unknown;
  checkOutput?: string | null;
  /** The iteration's changes as data (shared's Changes). */
  changes?: Changes | null;
};

/** Stored changes as the schema reads them; null when absent or stored in a shape this version does not read. */
const readChanges = (stored: unknown): Changes | null => {
  if (stored === null || stored === undefined) return null;
  const parsed = Changes.safeParse(stored);
  return parsed.success ? parsed.data : null;
};

/** The snapshots (core's Snapshot JSON) taken around an iteration's Claude run; null when not taken. */
export interface IterationSnapshots {
  n: number;
  before: unknown;
  after: unknown;
}

/** A finished iteration's texts, for the next prompts (a resumed run reads them from here). */
export interface IterationTexts {
  n: number;
  status: IterationStatus;
  verdict: Verdict | null;
  claudeOutput: string | null;
  review: string | null;
  /** loop's check of this iteration and the tail of its output; null until it ran. */
  check?: CheckResult | null;
  checkOutput?: string | null;
}

export class IterationRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  start(taskId: string, n: number, now = new Date()): Iteration {
    const row: Row = {
      taskId,
      n,
      status: "running",
      verdict: null,
      startedAt: now.toISOString(),
      finishedAt: null,
      claudeDurationMs: null,
      codexDurationMs: null,
      claudeSessionId: null,
      usage: emptyUsage(),
      claudeOutput: null,
      review: null,
      snapshotBefore: null,
      snapshotAfter: null,
      changes: null,
      taskChanges: null,
      claudePromptBytes: null,
      codexPromptBytes: null,
      check: null,
      checkOutput: null,
    };
    // A resumed task may re-run an iteration that a crash interrupted. Its first snapshot is kept:
    // what the interrupted run changed still belongs to this iteration; so is what its runs used.
    // The changes stay until the re-run computes them again, as NNN-changes.md and changes.md do.
    const { snapshotBefore: _kept, usage: _spent, changes: _c, taskChanges: _t, ...again } = row;
    this.db
      .insert(iterations)
      .values(row)
      .onConflictDoUpdate({ target: [iterations.taskId, iterations.n], set: again })
      .run();
    return toIteration(row);
  }

  /** `.run()`, then the row by its own SELECT (see TaskRepository.update: RETURNING hid SQLITE_FULL). */
  update(taskId: string, n: number, patch: IterationPatch): Iteration {
    const where = and(eq(iterations.taskId, taskId), eq(iterations.n, n));
    const { changes } = this.db.update(iterations).set(patch).where(where).run();
    const r = changes > 0 ? this.db.select(WIRE).from(iterations).where(where).get() : undefined;
    if (!r) throw new Error(`iteration ${taskId}#${n} not found`);
    return toIteration(r);
  }

  get(taskId: string, n: number): Iteration | undefined {
    const r = this.db
      .select(WIRE)
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), eq(iterations.n, n)))
      .get();
    return r ? toIteration(r) : undefined;
  }

  /** Every iteration with Claude's answer and Codex's review, oldest first. */
  texts(taskId: string): IterationTexts[] {
    return this.db
      .select({
        n: iterations.n,
        status: iterations.status,
        verdict: iterations.verdict,
        claudeOutput: iterations.claudeOutput,
        review: iterations.review,
        check: iterations.check,
        checkOutput: iterations.checkOutput,
      })
      .from(iterations)
      .where(eq(iterations.taskId, taskId))
      .orderBy(asc(iterations.n))
      .all()
      .map((r) => ({
        ...r,
        status: r.status as IterationStatus,
        verdict: (r.verdict as Verdict | null) ?? null,
        check: r.check ?? null,
      }));
  }

  /** The snapshots of iteration n (null where not taken). */
  snapshotsOf(taskId: string, n: number): IterationSnapshots | undefined {
    return this.db
      .select({ n: iterations.n, before: iterations.snapshotBefore, after: iterations.snapshotAfter })
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), eq(iterations.n, n)))
      .get();
  }

  /** The task's first snapshot (before its earliest Claude run) and its latest one (after its last). */
  taskSnapshots(taskId: string): { first: unknown; last: unknown } {
    const first = this.db
      .select({ s: iterations.snapshotBefore })
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), isNotNull(iterations.snapshotBefore)))
      .orderBy(asc(iterations.n))
      .limit(1)
      .get();
    const last = this.db
      .select({ s: iterations.snapshotAfter })
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), isNotNull(iterations.snapshotAfter)))
      .orderBy(desc(iterations.n))
      .limit(1)
      .get();
    return { first: first?.s ?? null, last: last?.s ?? null };
  }

  /** Iteration n's changes as data; null when none were stored (not computed yet, or an older version's task). */
  changesOf(taskId: string, n: number): Changes | null {
    const r = this.db
      .select({ c: iterations.changes })
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), eq(iterations.n, n)))
      .get();
    return readChanges(r?.c);
  }

  /** Stores the whole task's change as of iteration n; earlier iterations let theirs go (changes.md is rewritten too). */
  setTaskChanges(taskId: string, n: number, changes: Changes): void {
    // One statement: a reader never sees two, or none.
    const json = JSON.stringify(changes);
    this.db
      .update(iterations)
      .set({ taskChanges: sql`CASE WHEN ${iterations.n} = ${n} THEN ${json} ELSE NULL END` })
      .where(and(eq(iterations.taskId, taskId), or(eq(iterations.n, n), isNotNull(iterations.taskChanges))))
      .run();
  }

  /** The whole task's change as last stored; null when none was. */
  taskChanges(taskId: string): Changes | null {
    const r = this.db
      .select({ c: iterations.taskChanges })
      .from(iterations)
      .where(and(eq(iterations.taskId, taskId), isNotNull(iterations.taskChanges)))
      .orderBy(desc(iterations.n))
      .limit(1)
      .get();
    return readChanges(r?.c);
  }

  /** A task's usage: the sum over its iterations, per agent. */
  usageTotal(taskId: string): Usage {
    const rows = this.db
      .select({ usage: iterations.usage })
      .from(iterations)
      .where(eq(iterations.taskId, taskId))
      .all();
    return sumUsage(rows.map((r) => readUsage(r.usage)));
  }

  /**
   * What every task spent, per agent, in the iterations started at or after `since` (ISO-8601;
   * null: all of them). An iteration counts wholly on the day it started. GET /api/usage.
   */
  spendSince(since: string | null): Usage {
    const rows = this.db
      .select({ usage: iterations.usage })
      .from(iterations)
      .where(since === null ? undefined : sql`${iterations.startedAt} >= ${since}`)
      .all();
    return sumUsage(rows.map((r) => readUsage(r.usage)));
  }

  list(taskId: string): Iteration[] {
    return this.db
      .select(WIRE)
      .from(iterations)
      .where(eq(iterations.taskId, taskId))
      .orderBy(asc(iterations.n))
      .all()
      .map(toIteration);
  }
}
