import type { Note } from "@loop/shared";
import type { Db } from "../client.ts";
import { and, asc, eq, gte, isNull, or } from "../drizzle.ts";
import { notes } from "../schema/index.ts";

type Row = typeof notes.$inferSelect;
export type NoteRole = "worker" | "reviewer";

const toNote = (r: Row): Note => ({
  id: r.id,
  text: r.text,
  createdAt: r.createdAt,
  forIteration: r.forIteration,
});

/** The user's notes to a task's agents, and which iteration's prompts carried each (per role). */
export class NoteRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  add(taskId: string, text: string, forIteration: number, now = new Date()): Note {
    const createdAt = now.toISOString();
    // No RETURNING: better-sqlite3's .get() on it can hide a full disk (test/full-disk.test.ts).
    const { lastInsertRowid } = this.db.insert(notes).values({ taskId, text, forIteration, createdAt }).run();
    return { id: Number(lastInsertRowid), text, createdAt, forIteration };
  }

  list(taskId: string): Note[] {
    return this.db
      .select()
      .from(notes)
      .where(eq(notes.taskId, taskId))
      .orderBy(asc(notes.id))
      .all()
      .map(toNote);
  }

  /**
   * The notes the role's prompt of iteration n carries: those no prompt of that role carried yet, and
   * those an earlier try of iteration n (or later) carried (a repeated step sends them again).
   */
  pending(taskId: string, role: NoteRole, n: number): Note[] {
    const col = role === "worker" ? notes.workerIteration : notes.reviewerIteration;
    return this.db
      .select()
      .from(notes)
      .where(and(eq(notes.taskId, taskId), or(isNull(col), gte(col, n))))
      .orderBy(asc(notes.id))
      .all()
      .map(toNote);
  }

  /** Marks the notes as carried by the role's prompt of iteration n. */
  delivered(taskId: string, role: NoteRole, n: number, ids: readonly number[]): void {
    for (const id of ids) {
      this.db
        .update(notes)
        .set(role === "worker" ? { workerIteration: n } : { reviewerIteration: n })
        .where(and(eq(notes.taskId, taskId), eq(notes.id, id)))
        .run();
    }
  }
}
