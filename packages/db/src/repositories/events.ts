import type { LoopEvent, NewEvent } from "@loop/shared";
import type Database from "better-sqlite3";

/** A stored event as SQLite has it: `data` is the JSON text, never parsed. */
export interface EventRow {
  id: number;
  task_id: string;
  iteration: number | null;
  type: string;
  ts: string;
  data: string;
}

const toEvent = (r: EventRow): LoopEvent =>
  ({
    id: r.id,
    taskId: r.task_id,
    iteration: r.iteration,
    type: r.type,
    ts: r.ts,
    data: JSON.parse(r.data),
  }) as LoopEvent;

/**
 * The event log. Raw prepared statements: this is the hot path (one row per agent output line)
 * and the replay path (paged reads), where the query builder's overhead shows.
 */
export class EventRepository {
  private readonly insert: Database.Statement;
  private readonly afterAll: Database.Statement;
  private readonly afterTask: Database.Statement;
  private readonly afterFiltered: Database.Statement;
  private readonly maxIdStmt: Database.Statement;
  private readonly deleteSome: Database.Statement;

  constructor(sqlite: Database.Database) {
    this.insert = sqlite.prepare(
      "INSERT INTO events (task_id, iteration, type, ts, data) VALUES (?, ?, ?, ?, ?)",
    );
    this.afterAll = sqlite.prepare("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?");
    this.afterTask = sqlite.prepare("SELECT * FROM events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?");
    this.afterFiltered = sqlite.prepare(
      "SELECT * FROM events WHERE id > ? AND (type NOT IN ('agent.output', 'agent.partial') OR task_id IN (SELECT value FROM json_each(?))) ORDER BY id LIMIT ?",
    );
    this.maxIdStmt = sqlite.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM events");
    this.deleteSome = sqlite.prepare(
      "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE task_id = ? ORDER BY id LIMIT ?)",
    );
  }

  /**
   * Stores one event and returns it with its id. `.run()`, not `INSERT … RETURNING` through `.get()`:
   * better-sqlite3 did not report SQLITE_FULL that way and handed back an id that was never stored.
   */
  append(e: NewEvent, now = new Date()): LoopEvent {
    const ts = now.toISOString();
    const r = this.insert.run(e.taskId, e.iteration, e.type, ts, JSON.stringify(e.data));
    return { ...e, id: Number(r.lastInsertRowid), ts } as LoopEvent;
  }

  /** One page of events with id > afterId, oldest first; all tasks unless taskId is given. */
  listAfter(opts: { afterId: number; taskId?: string; limit: number }): LoopEvent[] {
    const rows = (
      opts.taskId === undefined
        ? this.afterAll.all(opts.afterId, opts.limit)
        : this.afterTask.all(opts.taskId, opts.afterId, opts.limit)
    ) as EventRow[];
    return rows.map(toEvent);
  }

  /** Deletes up to `limit` of a task's events; returns how many. Callers loop, so a long history never blocks for long. */
  deleteSomeOf(taskId: string, limit: number): number {
    return this.deleteSome.run(taskId, limit).changes;
  }

  /**
   * Like listAfter, but rows as stored, `data` still JSON text: the SSE replay writes them out
   * without parsing and re-serialising each event (most of its garbage otherwise). With `outputOf`
   * (all tasks only), agent output rows are kept only for those task ids; other rows for every task.
   */
  listRowsAfter(opts: { afterId: number; taskId?: string; limit: number; outputOf?: string[] }): EventRow[] {
    if (opts.taskId !== undefined)
      return this.afterTask.all(opts.taskId, opts.afterId, opts.limit) as EventRow[];
    if (opts.outputOf !== undefined) {
      return this.afterFiltered.all(opts.afterId, JSON.stringify(opts.outputOf), opts.limit) as EventRow[];
    }
    return this.afterAll.all(opts.afterId, opts.limit) as EventRow[];
  }

  maxId(): number {
    return (this.maxIdStmt.get() as { id: number }).id;
  }
}
