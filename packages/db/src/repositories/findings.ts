import type { Finding } from "@loop/shared";
import type { Db } from "../client.ts";
import { asc, eq } from "../drizzle.ts";
import { findings } from "../schema/index.ts";

type Row = typeof findings.$inferSelect;

const seqOf = (id: string) => Number(/\d+$/.exec(id)?.[0] ?? 0);

const toFinding = (r: Row): Finding => ({
  id: r.id,
  text: r.text,
  status: r.status,
  firstIteration: r.firstIteration,
  lastIteration: r.lastIteration,
  openSince: r.openSince,
  streak: r.streak,
  resolvedIteration: r.resolvedIteration,
  ...(r.dismissReason !== null && { dismissReason: r.dismissReason }),
});

/** A task's findings ledger: written whole after each review, read back by the page and on resume. */
export class FindingRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** The ledger in the order of first appearance (F1, F2, …). */
  list(taskId: string): Finding[] {
    return this.db
      .select()
      .from(findings)
      .where(eq(findings.taskId, taskId))
      .orderBy(asc(findings.seq))
      .all()
      .map(toFinding);
  }

  get(taskId: string, id: string): Finding | undefined {
    return this.list(taskId).find((f) => f.id === id);
  }

  /** Replaces the task's ledger; call it inside the transaction that stores the review it follows from. */
  replace(taskId: string, ledger: readonly Finding[]): void {
    this.db.delete(findings).where(eq(findings.taskId, taskId)).run();
    if (ledger.length === 0) return;
    this.db
      .insert(findings)
      .values(ledger.map((f) => ({ ...f, taskId, seq: seqOf(f.id) })))
      .run();
  }
}
