import { isAbsolute, relative } from "node:path";
import { type Repositories, retryBusy } from "@loop/db";
import {
  AppError,
  type BranchResponse,
  canDiscard,
  canLand,
  type GhHealth,
  type Landed,
  type MergeBody,
  type PrBody,
  type Task,
} from "@loop/shared";
import type { ArtifactStore } from "../artifacts.ts";
import type { GitSnapshot } from "../changes/index.ts";
import type { EventBus } from "../events.ts";
import { currentBranch, gitTopLevel } from "../runner/git.ts";
import type { Settings } from "../settings.ts";
import {
  branchInfo,
  formatPatch,
  mergeInto,
  pushBranch,
  pushRemote,
  removeBranch,
  resolveRef,
  treeDiff,
} from "./branch-git.ts";
import { createPr, probeGh } from "./gh.ts";
import { landedLine, mergeMessage, prBody, withTrailer } from "./messages.ts";

export interface LandingDeps {
  repos: Repositories;
  /** task.updated carries `landed` to every open page. */
  bus: Pick<EventBus, "taskUpdated">;
  artifacts: ArtifactStore;
  settings: Pick<Settings, "gitAuthor" | "ghBin" | "dbBusyTimeoutMs">;
}

const GH_CACHE_MS = 60_000;

/**
 * Landing a worktree task's branch in the user's repository (docs/landing.md): look at it, merge or
 * squash it into its base branch, push it for a pull request, give it as a patch, or discard it.
 * One landing at a time, so two merges into the same base never race each other.
 */
export class Landing {
  private readonly deps: LandingDeps;
  private queue: Promise<unknown> = Promise.resolve();
  private gh: { at: number; health: Promise<GhHealth>; last: GhHealth | undefined } | null = null;

  constructor(deps: LandingDeps) {
    this.deps = deps;
  }

  async branch(id: string): Promise<BranchResponse> {
    const { repo, base, branch } = await this.target(this.task(id));
    return branchInfo(repo, base, branch);
  }

  merge(id: string, body: MergeBody): Promise<{ task: Task; commit: string }> {
    return this.serial(async () => {
      const task = this.task(id);
      this.mustBeStill(task, "merged");
      const mode = body.mode ?? "merge";
      const { repo, base, branch } = await this.target(task);
      const commits = (await branchInfo(repo, base, branch)).ahead;
      const input = this.summaryOf(task);
      const message = body.message
        ? withTrailer(body.message, task)
        : mergeMessage(mode, { ...input, branch, commits });
      const commit = await mergeInto({
        repo,
        base,
        branch,
        mode,
        message,
        identity: this.deps.settings.gitAuthor,
      });
      return { task: await this.record(task, { commit, mode, base }), commit };
    });
  }

  discard(id: string): Promise<{ task: Task }> {
    return this.serial(async () => {
      const task = this.task(id);
      if (!canDiscard(task.status)) {
        throw new AppError(
          "not_mergeable",
          `Task ${id} is ${task.status}; cancel it before discarding its branch`,
        );
      }
      const wt = this.worktreeOf(task);
      const repo = await this.repoOf(task);
      const tip = await removeBranch(repo, wt.branch, wt.path);
      if (!tip) throw new AppError("no_branch", `The branch ${wt.branch} is no longer in ${repo}`);
      return { task: await this.record(task, { commit: tip, mode: "discard", base: null }) };
    });
  }

  pr(id: string, body: PrBody): Promise<{ url: string; task: Task }> {
    return this.serial(async () => {
      const task = this.task(id);
      this.mustBeStill(task, "pushed");
      const { repo, base, branch } = await this.target(task);
      const bin = this.deps.settings.ghBin;
      const health = await this.ghHealth({ fresh: true });
      if (!health.found || !health.loggedIn) {
        throw new AppError("gh_unavailable", health.error ?? `${bin} is not usable`);
      }
      const remote = await pushRemote(repo);
      if (!remote) {
        throw new AppError("gh_unavailable", `The repository ${repo} has no remote to push ${branch} to`);
      }
      const tip = (await resolveRef(repo, `refs/heads/${branch}`)) ?? "";
      await pushBranch(repo, remote, branch);
      const pr = await createPr(bin, repo, {
        head: branch,
        base,
        title: body.title ?? task.title,
        body: body.body ?? prBody(this.summaryOf(task)),
      });
      if (!pr.ok)
        throw new AppError(
          "pr_failed",
          `${branch} was pushed to ${remote}, but gh pr create failed: ${pr.error}`,
        );
      return { url: pr.url, task: await this.record(task, { commit: tip, mode: "pr", base, url: pr.url }) };
    });
  }

  /** The task's change as a patch: an mbox of the branch's commits, or (in place) the task's diff. */
  async patch(id: string): Promise<string> {
    const task = this.task(id);
    if (task.worktree) {
      const { repo, base, branch } = await this.target(task);
      // After a merge the branch's commits are in base: take them from the merge's first parent.
      const from = task.landed?.mode === "merge" ? `${task.landed.commit}^1` : `refs/heads/${base}`;
      return formatPatch(repo, `${from}..refs/heads/${branch}`);
    }
    const { first, last } = this.deps.repos.iterations.taskSnapshots(id);
    const git = (s: unknown): s is GitSnapshot => (s as GitSnapshot | null)?.kind === "git";
    if (!git(first) || !git(last) || first.root !== last.root) {
      throw new AppError(
        "no_patch",
        `Task ${id} has no git diff to give: its working directory is not in a git repository, or nothing was recorded`,
      );
    }
    const prefix = relative(first.root, first.dir);
    const under = prefix === "" || prefix.startsWith("..") || isAbsolute(prefix) ? "" : prefix;
    return treeDiff(first.root, first.tree, last.tree, under, [
      ...new Set([...first.exclude, ...last.exclude]),
    ]);
  }

  /** The GitHub CLI: found, logged in; probed at most once a minute unless asked fresh. */
  ghHealth(opts: { fresh?: boolean } = {}): Promise<GhHealth> {
    const now = Date.now();
    if (opts.fresh || !this.gh || now - this.gh.at > GH_CACHE_MS) {
      const health = probeGh(this.deps.settings.ghBin);
      const entry: NonNullable<Landing["gh"]> = { at: now, health, last: this.gh?.last };
      void health.then((h) => {
        entry.last = h;
      });
      this.gh = entry;
    }
    return this.gh.health;
  }

  /**
   * For GET /api/health: the answer, waiting at most `waitMs` for a check under way (`gh auth
   * status` asks GitHub, which can be slow or offline); then the last one known, if any.
   */
  async ghHealthSoon(waitMs = 1500): Promise<GhHealth | undefined> {
    const last = this.gh?.last;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), waitMs);
    });
    try {
      return (await Promise.race([this.ghHealth(), late])) ?? last;
    } finally {
      clearTimeout(timer);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private task(id: string): Task {
    const task = this.deps.repos.tasks.get(id);
    if (!task) throw new AppError("task_not_found", `No task with id ${id}`);
    return task;
  }

  private mustBeStill(task: Task, what: string): void {
    if (!canLand(task.status)) {
      throw new AppError(
        "not_mergeable",
        `Task ${task.id} is ${task.status}; its branch can be ${what} once it has finished (or is paused)`,
      );
    }
  }

  private worktreeOf(task: Task): NonNullable<Task["worktree"]> {
    if (!task.worktree) {
      throw new AppError(
        "no_branch",
        `Task ${task.id} ran in place (no worktree), so it has no branch of its own`,
      );
    }
    if (task.landed?.mode === "discard") {
      throw new AppError("no_branch", `The branch ${task.worktree.branch} of task ${task.id} was discarded`);
    }
    return task.worktree;
  }

  private async repoOf(task: Task): Promise<string> {
    const repo = await gitTopLevel(task.workingDir);
    if (!repo) throw new AppError("no_branch", `${task.workingDir} is no longer in a git repository`);
    return repo;
  }

  /** The repository, the base branch (recorded at the start; for older tasks, what is checked out now) and the branch. */
  private async target(task: Task): Promise<{ repo: string; base: string; branch: string }> {
    const { branch } = this.worktreeOf(task);
    const repo = await this.repoOf(task);
    if (!(await resolveRef(repo, `refs/heads/${branch}`))) {
      const why = task.status === "queued" ? "the task has not started yet" : "it was deleted";
      throw new AppError("no_branch", `The branch ${branch} is not in ${repo} (${why})`);
    }
    const base = task.baseBranch ?? (await currentBranch(repo));
    if (!base) {
      throw new AppError(
        "not_mergeable",
        `No base branch: ${repo} was on a detached HEAD when task ${task.id} started`,
      );
    }
    return { repo, base, branch };
  }

  private summaryOf(task: Task) {
    const { repos } = this.deps;
    return { task, iterations: repos.iterations.list(task.id), findings: repos.findings.list(task.id) };
  }

  /** Stores what became of the branch and adds it to result.md (a failure there is not the merge's). */
  private async record(task: Task, l: Omit<Landed, "at">): Promise<Task> {
    const { repos, artifacts, settings, bus } = this.deps;
    const landed: Landed = { ...l, at: new Date().toISOString() };
    const updated = await retryBusy(() => repos.tasks.update(task.id, { landed }), {
      timeoutMs: settings.dbBusyTimeoutMs,
      where: repos.handle.path,
    });
    bus.taskUpdated(task.id, { landed });
    try {
      const result = await artifacts.read(task.id, "result.md");
      if (result !== undefined) {
        const section = result.includes("\n## Landed\n") ? "" : "\n## Landed\n\n";
        await artifacts.write(
          task.id,
          "result.md",
          `${result.trimEnd()}\n${section}- ${landedLine(task, landed)}\n`,
        );
      }
    } catch {}
    return updated;
  }
}
