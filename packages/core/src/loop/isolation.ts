import { existsSync, realpathSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { AppError, type Isolation, type Task } from "@loop/shared";
import {
  addWorktree,
  commitAll,
  currentBranch,
  deleteBranch,
  gitHasHead,
  gitTopLevel,
  removeWorktree,
} from "../runner/git.ts";
import type { RunContext } from "./run-context.ts";

/**
 * Optional isolation: a task with `isolation: "worktree"` runs in a git worktree of its own on the
 * branch loop/<task-id>, made from HEAD when it first starts, so the user's checkout (HEAD, index,
 * working tree, branches, stash) is never touched. The worktrees live under the artifacts root in
 * the dot-directory `.worktrees/` (loop's own directory, 0700, never listed as an artifact, never
 * inside the user's tree unless the artifacts root is), rather than next to the repository, where
 * loop may have no right to write and the user would find directories it did not ask for.
 */
export const WORKTREES_DIR = ".worktrees";
export const branchOf = (taskId: string) => `loop/${taskId}`;

/** Refuses worktree isolation outside a git repository (or one without a commit to branch from). */
export async function checkIsolation(workingDir: string, isolation: Isolation | undefined): Promise<void> {
  if (isolation !== "worktree") return;
  const top = await gitTopLevel(workingDir);
  if (!top) {
    throw new AppError(
      "invalid_working_dir",
      `The working directory ${workingDir} is not in a git repository; a worktree (isolation "worktree") needs one`,
    );
  }
  if (!(await gitHasHead(top))) {
    throw new AppError(
      "invalid_working_dir",
      `The git repository at ${top} has no commit yet; a worktree (isolation "worktree") branches from HEAD`,
    );
  }
}

/** What a new task stores: its isolation and, in worktree mode, where its worktree will be. */
export const isolationFields = (
  isolation: Isolation | undefined,
  taskId: string,
  artifactsDir: string,
): Pick<Task, "isolation" | "worktree"> =>
  isolation === "worktree"
    ? {
        isolation,
        worktree: { path: join(resolve(artifactsDir), WORKTREES_DIR, taskId), branch: branchOf(taskId) },
      }
    : { isolation: "none", worktree: null };

/** The nearest directory at or above dir with a .git (directory or file), synchronously. */
function repoTop(dir: string): string | null {
  let d = dir;
  for (;;) {
    if (existsSync(join(d, ".git"))) return d;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/**
 * Where the agents run: the task's working directory, or in worktree mode the same place inside
 * its worktree (a working directory below the repository's top stays as deep in the worktree).
 */
export function runDir(task: Pick<Task, "workingDir"> & { worktree?: Task["worktree"] | undefined }): string {
  if (!task.worktree) return task.workingDir;
  let real = task.workingDir;
  try {
    real = realpathSync(task.workingDir);
  } catch {}
  const top = repoTop(real);
  return top ? join(task.worktree.path, relative(top, real)) : task.worktree.path;
}

/**
 * Before a run: makes the task's worktree unless it is there already (a resumed task reuses it),
 * and records the branch checked out in the user's repository then (`baseBranch`: where a merge
 * goes back to; null on a detached HEAD).
 */
export async function ensureWorktree(ctx: RunContext): Promise<void> {
  const { task } = ctx;
  const wt = task.worktree;
  if (!wt || existsSync(wt.path)) return;
  const top = await gitTopLevel(task.workingDir);
  if (!top)
    throw new Error(`${task.workingDir} is no longer in a git repository; the worktree cannot be made`);
  await mkdir(dirname(wt.path), { recursive: true, mode: 0o700 });
  const baseBranch = await currentBranch(top);
  await addWorktree(top, wt.path, wt.branch);
  await ctx.updateTask({ baseBranch });
}

/** The review of an iteration as its commit names it: a verdict, or why there was none. */
export type IterationReview = { verdict: "DONE" | "ISSUES_FOUND" } | { unreviewed: string };

/** "Add notes (loop iteration 2: issues found)", the task's id in a trailer. */
export function iterationMessage(
  task: Pick<Task, "id" | "title">,
  n: number,
  review: IterationReview,
): string {
  const outcome =
    "verdict" in review
      ? review.verdict === "DONE"
        ? "review: done"
        : "review: issues found"
      : `not reviewed: ${review.unreviewed}`;
  const title = task.title.replace(/\s+/g, " ").trim();
  return `${title} (loop iteration ${n}, ${outcome})\n\nLoop-Task: ${task.id}\nLoop-Iteration: ${n}\n`;
}

/**
 * After iteration n's review, or when the run ends without one: the worker's changes, committed on
 * loop's branch (nothing when nothing changed). A commit that fails (a git lock, a hook-less repo
 * oddity) never fails the task: the work stays in the worktree and a warning says so.
 */
export async function commitIteration(ctx: RunContext, n: number, review: IterationReview): Promise<void> {
  const { task } = ctx;
  if (!task.worktree || n < 1 || !existsSync(task.worktree.path)) return;
  try {
    await commitAll(task.worktree.path, iterationMessage(task, n, review), ctx.deps.settings.gitAuthor);
  } catch (err) {
    const message = `Could not commit iteration ${n} on ${task.worktree.branch} (${(err as Error).message}); its changes stay uncommitted in ${task.worktree.path}`;
    ctx.send("task.warning", { message }, n);
  }
}

/**
 * When a task is deleted: its worktree goes; its branch stays (the work is on it) unless asked.
 * What could not be done is a warning in the log; never throws.
 */
export async function removeIsolation(
  task: Task,
  opts: { deleteBranch?: boolean | undefined },
  log: { warn(obj: object, msg?: string): void },
): Promise<void> {
  const wt = task.worktree;
  if (!wt) return;
  try {
    const top = await gitTopLevel(task.workingDir);
    if (!top) throw new Error(`${task.workingDir} is no longer in a git repository`);
    // A worktree never made (a task deleted while queued) is nothing to remove.
    if (existsSync(wt.path)) await removeWorktree(top, wt.path);
    if (opts.deleteBranch) await deleteBranch(top, wt.branch);
  } catch (err) {
    log.warn({ err, taskId: task.id, worktree: wt }, "the task's worktree could not be removed");
  }
}
