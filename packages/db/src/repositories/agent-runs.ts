import type { Db } from "../client.ts";
import { and, eq, isNull } from "../drizzle.ts";
import { agentRuns } from "../schema/index.ts";

export type AgentRun = typeof agentRuns.$inferSelect;

/** The agent processes loop started, kept until they are known to be gone. */
export class AgentRunRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Recorded before the process is spawned, so a crash right after the spawn still leaves its marker.
   * `.run()`, not `INSERT … RETURNING` through `.get()`, which hid SQLITE_FULL (a marker never stored).
   */
  begin(r: { taskId: string; iteration: number; agent: string; marker: string }, now = new Date()): AgentRun {
    const { lastInsertRowid } = this.db
      .insert(agentRuns)
      .values({ ...r, serverPid: process.pid, startedAt: now.toISOString() })
      .run();
    const row = this.db
      .select()
      .from(agentRuns)
      .where(eq(agentRuns.id, Number(lastInsertRowid)))
      .get();
    if (!row) throw new Error(`agent run ${lastInsertRowid} was not stored`);
    return row;
  }

  spawned(id: number, p: { pid: number; pgid: number; procStart: string | null }): void {
    this.db.update(agentRuns).set(p).where(eq(agentRuns.id, id)).run();
  }

  end(id: number, now = new Date()): void {
    this.db.update(agentRuns).set({ endedAt: now.toISOString() }).where(eq(agentRuns.id, id)).run();
  }

  /** Runs not known to have ended: a server that died left them. */
  listOpen(): AgentRun[] {
    return this.db.select().from(agentRuns).where(isNull(agentRuns.endedAt)).all();
  }

  /** The last run of a task that never ended, if any: what a crash interrupted. */
  lastOpenOf(taskId: string): AgentRun | undefined {
    return this.db
      .select()
      .from(agentRuns)
      .where(and(eq(agentRuns.taskId, taskId), isNull(agentRuns.endedAt)))
      .all()
      .at(-1);
  }
}
