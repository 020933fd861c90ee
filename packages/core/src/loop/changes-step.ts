import { mkdir } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { agentLabel } from "../agents/roles.ts";
import {
  type Changes,
  diff,
  type RenderedChanges,
  type Snapshot,
  snapshot,
  summaryLine,
} from "../changes/index.ts";
import type { RunContext } from "./run-context.ts";
import type { StopCause } from "./transitions.ts";

/** What the tracker uses of the run (the run's signal: a cancel ends a snapshot taken before the worker starts). */
export type ChangesContext = Pick<
  RunContext,
  "task" | "taskId" | "workingDir" | "signal" | "send" | "write"
> & {
  deps: Omit<RunContext["deps"], "agents">;
};

export const changesFile = (n: number) => `${String(n).padStart(3, "0")}-changes.md`;
export const TASK_CHANGES_FILE = "changes.md";
// A dot-file: the artifact listing (NAME in artifacts.ts) never shows or serves it.
const INDEX_CACHE = ".snapshot-index";
const DIFF_TIMEOUT_MS = 60_000;

const isSnapshot = (x: unknown): x is Snapshot =>
  typeof x === "object" &&
  x !== null &&
  ["git", "files", "unavailable"].includes((x as { kind?: unknown }).kind as string);

/** One line for the page and result.md: the summary, or why nothing could be compared. */
export const changesSummary = (c: Changes) =>
  c.kind === "none" ? (c.notes[0] ?? "Nothing to compare.") : summaryLine(c);

/**
 * The working directory just before and just after each worker run, stored with the iteration so a
 * resumed task diffs against the same first snapshot; from them NNN-changes.md and changes.md (the
 * whole task so far). Nothing here fails the task: a snapshot or diff that goes wrong is a warning.
 */
export class ChangeTracker {
  private readonly ctx: ChangesContext;
  /** The whole task's change as last computed in this run, for result.md. */
  private whole: RenderedChanges | null = null;

  constructor(ctx: ChangesContext) {
    this.ctx = ctx;
  }

  /** Before the worker's run of iteration n; an iteration that runs again keeps its first snapshot. */
  async before(n: number): Promise<void> {
    const { repos } = this.ctx.deps;
    if (isSnapshot(repos.iterations.snapshotsOf(this.ctx.taskId, n)?.before)) return;
    const snap = await this.take(n, "before", this.ctx.signal);
    if (snap)
      await this.ctx.write(() => repos.iterations.update(this.ctx.taskId, n, { snapshotBefore: snap }));
  }

  /**
   * After the worker's run of iteration n: NNN-changes.md, then changes.md. A user's cancel still
   * records what the stopped run changed; a server stop leaves it to the resumed run, which diffs
   * from this iteration's first snapshot.
   */
  async after(n: number, stop: StopCause | null): Promise<void> {
    if (stop && stop.kind !== "user") return;
    const { repos, artifacts, closing: signal } = this.ctx.deps;
    const id = this.ctx.taskId;
    const before = repos.iterations.snapshotsOf(id, n)?.before;
    if (!isSnapshot(before)) return;
    const after = await this.take(n, "after", signal);
    if (!after) return;
    await this.ctx.write(() => repos.iterations.update(id, n, { snapshotAfter: after }));
    const changes = await this.guard(n, signal, () =>
      diff(before, after, { title: `Changes in iteration ${n}`, signal, timeoutMs: DIFF_TIMEOUT_MS }),
    );
    if (!changes) return;
    const { markdown, ...data } = changes;
    await this.ctx.write(() => repos.iterations.update(id, n, { changes: data }));
    await artifacts.write(id, changesFile(n), markdown);
    this.recorded("iteration", changesFile(n), changes, n);
    await this.updateWhole(signal, n);
  }

  /** The whole task's change for result.md: from the stored snapshots when this run took none. */
  async summary(): Promise<string | null> {
    if (!this.whole) await this.updateWhole(this.ctx.deps.closing, null);
    return this.whole ? changesSummary(this.whole) : null;
  }

  /** changes.md: from the first snapshot of the task to the latest one (after iteration n, stored with it). */
  private async updateWhole(signal: AbortSignal, n: number | null): Promise<void> {
    const { repos, artifacts } = this.ctx.deps;
    const id = this.ctx.taskId;
    const { first, last } = repos.iterations.taskSnapshots(id);
    if (!isSnapshot(first) || !isSnapshot(last)) return;
    const changes = await this.guard(null, signal, () =>
      diff(first, last, { title: "Changes over the whole task", signal, timeoutMs: DIFF_TIMEOUT_MS }),
    );
    if (!changes) return;
    this.whole = changes;
    const { markdown, ...data } = changes;
    if (n !== null) await this.ctx.write(() => repos.iterations.setTaskChanges(id, n, data));
    await artifacts.write(id, TASK_CHANGES_FILE, markdown);
    this.recorded("task", TASK_CHANGES_FILE, changes, null);
  }

  private async take(n: number, when: "before" | "after", signal: AbortSignal): Promise<Snapshot | null> {
    const { settings, repos, artifacts } = this.ctx.deps;
    const dbPath = repos.handle.path;
    const taskDir = artifacts.dir(this.ctx.taskId);
    const snap = await this.guard(n, signal, async () => {
      await mkdir(taskDir, { recursive: true, mode: 0o700 });
      return snapshot(this.ctx.workingDir, {
        // loop's own files change while it runs: they are not the agent's work.
        exclude: [
          resolve(settings.artifactsDir),
          ...(isAbsolute(dbPath) ? ["", "-wal", "-shm", "-journal"].map((s) => dbPath + s) : []),
        ],
        indexCache: join(taskDir, INDEX_CACHE),
        signal,
      });
    });
    if (snap?.kind === "unavailable") {
      const who = agentLabel(this.ctx.task.worker);
      this.warn(n, `the working directory could not be snapshotted ${when} ${who}'s run: ${snap.reason}`);
    }
    return snap;
  }

  /** Runs fn; a failure is a warning (null), one that `signal` stopped is silent (null). */
  private async guard<T>(n: number | null, signal: AbortSignal, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (!signal.aborted) {
        this.warn(n, `what changed could not be recorded: ${(err as Error).message}`);
      }
      return null;
    }
  }

  private warn(n: number | null, message: string): void {
    const where = n === null ? "" : ` in iteration ${n}`;
    this.ctx.deps.log.warn({ taskId: this.ctx.taskId, n }, message);
    this.ctx.send("task.warning", { message: `Changes${where}: ${message}` }, n);
  }

  private recorded(scope: "iteration" | "task", artifact: string, c: Changes, n: number | null): void {
    this.ctx.send(
      "changes.recorded",
      {
        scope,
        artifact,
        summary: changesSummary(c),
        files: c.files.length,
        added: c.added,
        deleted: c.deleted,
      },
      n,
    );
  }
}
