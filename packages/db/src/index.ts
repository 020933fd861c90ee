import { type DatabaseHandle, openDatabase } from "./client.ts";
import { AgentRunRepository } from "./repositories/agent-runs.ts";
import { AppStateRepository } from "./repositories/app-state.ts";
import { EventRepository } from "./repositories/events.ts";
import { FindingRepository } from "./repositories/findings.ts";
import { IterationRepository } from "./repositories/iterations.ts";
import { LimitRepository } from "./repositories/limits.ts";
import { NoteRepository } from "./repositories/notes.ts";
import { TaskRepository } from "./repositories/tasks.ts";

export * from "./client.ts";
export * from "./faults.ts";
export { type AgentRun, AgentRunRepository } from "./repositories/agent-runs.ts";
export { AppStateRepository } from "./repositories/app-state.ts";
export { EventRepository, type EventRow } from "./repositories/events.ts";
export { FindingRepository } from "./repositories/findings.ts";
export {
  type IterationPatch,
  IterationRepository,
  type IterationSnapshots,
  type IterationTexts,
} from "./repositories/iterations.ts";
export { LimitRepository } from "./repositories/limits.ts";
export { NoteRepository, type NoteRole } from "./repositories/notes.ts";
export { type NewTask, type TaskPatch, TaskRepository } from "./repositories/tasks.ts";
export * as schema from "./schema/index.ts";

export interface Repositories {
  readonly handle: DatabaseHandle;
  readonly tasks: TaskRepository;
  readonly iterations: IterationRepository;
  readonly events: EventRepository;
  readonly findings: FindingRepository;
  readonly agentRuns: AgentRunRepository;
  readonly state: AppStateRepository;
  readonly limits: LimitRepository;
  readonly notes: NoteRepository;
  /** Runs fn in one SQLite transaction (synchronous, like better-sqlite3). */
  transaction<T>(fn: () => T): T;
  /**
   * Runs cb once the current transaction() committed (at once outside one); never when it rolled
   * back. The event bus publishes events stored inside a transaction this way, so a listener never
   * sees an id that the rollback handed to another event.
   */
  afterCommit(cb: () => void): void;
}

export function createRepositories(handle: DatabaseHandle): Repositories {
  let waiting: Array<() => void> = [];
  return {
    handle,
    tasks: new TaskRepository(handle.db),
    iterations: new IterationRepository(handle.db),
    events: new EventRepository(handle.sqlite),
    findings: new FindingRepository(handle.db),
    agentRuns: new AgentRunRepository(handle.db),
    state: new AppStateRepository(handle.db),
    limits: new LimitRepository(handle.db),
    notes: new NoteRepository(handle.db),
    transaction<T>(fn: () => T): T {
      const outer = !handle.sqlite.inTransaction;
      let result: T;
      try {
        result = handle.sqlite.transaction(fn)();
      } catch (err) {
        if (outer) waiting = [];
        throw err;
      }
      if (outer) {
        const run = waiting;
        waiting = [];
        for (const cb of run) cb();
      }
      return result;
    },
    afterCommit(cb) {
      if (handle.sqlite.inTransaction) waiting.push(cb);
      else cb();
    },
  };
}

/** Opens the database at `path`, migrates it, and returns the repositories over it. */
export function openRepositories(path: string, opts: { busyTimeoutMs?: number } = {}): Repositories {
  return createRepositories(openDatabase(path, opts));
}
