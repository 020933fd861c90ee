import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { AppError, type BranchFile, type BranchResponse } from "@loop/shared";
import { diff } from "../changes/diff.ts";
import { commitTree, deleteBranch, type GitIdentity, git, gitOk } from "../runner/git.ts";

/*
 * The git side of landing a task's branch in the user's repository. Everything that could refuse
 * (a conflict, a dirty checkout, untracked files in the way) is decided before anything but objects
 * is written; the new commit is made with commit-tree, and only then does a ref (and, when the base
 * branch is checked out, its index and working tree) move.
 */

const heads = (name: string) => `refs/heads/${name}`;
const MAX_DIFF_BYTES = 512 * 1024;

/** A commit's sha, or null when the ref does not exist. */
export async function resolveRef(repo: string, ref: string): Promise<string | null> {
  const r = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: repo });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** The working tree that has `branch` checked out (the main one or a linked worktree), or null. */
export async function checkedOutAt(repo: string, branch: string): Promise<string | null> {
  const out = await gitOk(["worktree", "list", "--porcelain", "-z"], { cwd: repo });
  let path: string | null = null;
  for (const field of out.split("\0")) {
    if (field.startsWith("worktree ")) path = field.slice("worktree ".length);
    else if (field === `branch ${heads(branch)}` && path) return path;
  }
  return null;
}

/** What a merge of branch into base would give: the tree, and the files that would conflict. */
export async function mergeTree(
  repo: string,
  base: string,
  branch: string,
): Promise<{ tree: string; conflicts: string[] }> {
  const r = await git(
    ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", heads(base), heads(branch)],
    { cwd: repo },
  );
  if (r.exitCode !== 0 && r.exitCode !== 1) {
    throw new Error(`git merge-tree exited with code ${r.exitCode}: ${r.stderr.trim()}`);
  }
  const [tree = "", ...rest] = r.stdout.split("\0");
  const end = rest.indexOf("");
  const conflicts = r.exitCode === 1 ? [...new Set(end === -1 ? rest : rest.slice(0, end))] : [];
  return { tree: tree.trim(), conflicts };
}

/** Files with tracked changes (staged or not) in a working tree, as `git status` names them. */
export async function changedFiles(worktree: string): Promise<string[]> {
  const out = await gitOk(
    ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=none"],
    {
      cwd: worktree,
    },
  );
  const parts = out.split("\0");
  const files: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    // A rename or copy is followed by its old path.
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return files;
}

/** Paths the change from `from` to `to` adds that already exist, untracked, in the working tree. */
async function untrackedInTheWay(worktree: string, from: string, to: string): Promise<string[]> {
  const out = await gitOk(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", from, to], {
    cwd: worktree,
  });
  const added = out.split("\0").filter(Boolean);
  const found = await Promise.all(
    added.map((p) =>
      lstat(join(worktree, p)).then(
        () => p,
        () => null,
      ),
    ),
  );
  return found.filter((p): p is string => p !== null);
}

async function count(repo: string, range: string): Promise<{ left: number; right: number }> {
  const out = await gitOk(["rev-list", "--left-right", "--count", range], { cwd: repo });
  const [left = "0", right = "0"] = out.trim().split(/\s+/);
  return { left: Number(left), right: Number(right) };
}

function parseNumstat(out: string): BranchFile[] {
  const files: BranchFile[] = [];
  for (const entry of out.split("\0")) {
    const m = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(entry);
    if (!m) continue;
    const binary = m[1] === "-";
    files.push({
      path: m[3]!,
      added: binary ? 0 : Number(m[1]),
      deleted: binary ? 0 : Number(m[2]),
      ...(binary && { binary }),
    });
  }
  return files;
}

/** What the branch changes since it left base, as data (the same computation as an iteration's changes). */
async function branchChanges(repo: string, base: string, branch: string) {
  const forkPoint = (await gitOk(["merge-base", heads(base), heads(branch)], { cwd: repo })).trim();
  const tree = async (rev: string) => (await gitOk(["rev-parse", `${rev}^{tree}`], { cwd: repo })).trim();
  const [from, to] = await Promise.all([tree(forkPoint), tree(heads(branch))]);
  const at = (t: string) => ({
    kind: "git" as const,
    dir: repo,
    root: repo,
    tree: t,
    exclude: [],
    takenAt: "",
    warnings: [],
  });
  const { markdown: _, ...changes } = await diff(at(from), at(to), { title: `Changes on ${branch}` });
  return changes;
}

/** The branch at a glance: ahead/behind base, its files and diff since it left base, the conflicts. */
export async function branchInfo(repo: string, base: string, branch: string): Promise<BranchResponse> {
  const range = `${heads(base)}...${heads(branch)}`;
  const [counts, numstat, log, patch, merge, at, baseTree] = await Promise.all([
    count(repo, range),
    gitOk(["diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", range], {
      cwd: repo,
    }),
    gitOk(["log", "-z", "--format=%H%x09%s", `${heads(base)}..${heads(branch)}`], { cwd: repo }),
    gitOk(["diff", "--no-color", "--no-ext-diff", "--no-textconv", range], { cwd: repo }),
    mergeTree(repo, base, branch),
    checkedOutAt(repo, base),
    gitOk(["rev-parse", `${heads(base)}^{tree}`], { cwd: repo }),
  ]);
  const commits = log
    .split("\0")
    .filter(Boolean)
    .map((l) => {
      const [sha = "", ...subject] = l.split("\t");
      return { sha, subject: subject.join("\t") };
    });
  const truncated = Buffer.byteLength(patch) > MAX_DIFF_BYTES;
  const changes = await branchChanges(repo, base, branch);
  return {
    branch,
    base,
    ahead: counts.right,
    behind: counts.left,
    files: parseNumstat(numstat),
    conflicts: merge.conflicts,
    commits,
    diff: truncated ? Buffer.from(patch).subarray(0, MAX_DIFF_BYTES).toString("utf8") : patch,
    diffTruncated: truncated,
    changes,
    merged: counts.right === 0 || (merge.conflicts.length === 0 && merge.tree === baseTree.trim()),
    baseCheckedOut: at !== null,
  };
}

export interface MergeRequest {
  repo: string;
  base: string;
  branch: string;
  mode: "merge" | "squash";
  message: string;
  identity: GitIdentity;
}

const list = (files: string[]) =>
  files.length > 10 ? `${files.slice(0, 10).join(", ")} and ${files.length - 10} more` : files.join(", ");

/**
 * Merges (a merge commit, never a fast-forward) or squashes branch into base. When base is checked
 * out, its working tree must be clean and ends equal to the new commit; otherwise only the ref moves.
 * Refusals (AppError) leave HEAD, index, working tree, refs and stash as they were.
 */
export async function mergeInto(req: MergeRequest): Promise<string> {
  const { repo, base, branch } = req;
  const [from, tip] = await Promise.all([resolveRef(repo, heads(base)), resolveRef(repo, heads(branch))]);
  if (!from) throw new AppError("not_mergeable", `The base branch ${base} does not exist in ${repo}`);
  if (!tip) throw new AppError("no_branch", `The branch ${branch} does not exist in ${repo}`);
  const { tree, conflicts } = await mergeTree(repo, base, branch);
  if (conflicts.length > 0) {
    throw new AppError(
      "merge_conflict",
      `Merging ${branch} into ${base} conflicts in ${list(conflicts)}; nothing was changed. Merge it by hand (git merge ${branch}) and resolve the conflicts there.`,
      { files: conflicts },
    );
  }
  const baseTree = (await gitOk(["rev-parse", `${from}^{tree}`], { cwd: repo })).trim();
  if (baseTree === tree || (await count(repo, `${from}...${tip}`)).right === 0) {
    throw new AppError("not_mergeable", `${base} already has what ${branch} changes: nothing to merge`);
  }
  const checkout = await checkedOutAt(repo, base);
  if (checkout) {
    const dirty = await changedFiles(checkout);
    if (dirty.length > 0) {
      throw new AppError(
        "working_tree_dirty",
        `${base} is checked out at ${checkout} with uncommitted changes in ${list(dirty)}; commit or stash them first. Nothing was changed.`,
        { files: dirty },
      );
    }
  }
  const parents = req.mode === "merge" ? [from, tip] : [from];
  const commit = await commitTree(repo, tree, parents, req.message, req.identity);
  if (checkout) {
    const inTheWay = await untrackedInTheWay(checkout, from, commit);
    if (inTheWay.length > 0) {
      throw new AppError(
        "working_tree_dirty",
        `Untracked files at ${checkout} would be overwritten by the merge: ${list(inTheWay)}; move them away first. Nothing was changed.`,
        { files: inTheWay },
      );
    }
    // Index and working tree from `from` to the new commit; git checks everything before it writes.
    const r = await git(["read-tree", "-m", "-u", from, commit], { cwd: checkout });
    if (r.exitCode !== 0) {
      throw new AppError(
        "working_tree_dirty",
        `The working tree at ${checkout} could not be updated (${r.stderr.trim()}); nothing was changed.`,
      );
    }
  }
  const moved = await git(["update-ref", "-m", `loop: ${req.mode} ${branch}`, heads(base), commit, from], {
    cwd: repo,
  });
  if (moved.exitCode !== 0) {
    // base moved under us: put the working tree back where its HEAD still is.
    if (checkout) await git(["read-tree", "-m", "-u", commit, from], { cwd: checkout });
    throw new AppError("not_mergeable", `${base} changed while merging (${moved.stderr.trim()}); try again`);
  }
  return commit;
}

/** An mbox of the commits in `range` (git am applies it). */
export const formatPatch = (repo: string, range: string): Promise<string> =>
  gitOk(["format-patch", "--stdout", "--no-signature", "--binary", "--no-color", range], { cwd: repo });

/** A unified diff between two trees, its paths under `prefix` (git apply applies it at the top level). */
export function treeDiff(
  root: string,
  from: string,
  to: string,
  prefix: string,
  exclude: string[],
): Promise<string> {
  const p = prefix === "" ? "" : `${prefix.replace(/\/$/, "")}/`;
  return gitOk(
    [
      "diff",
      "--binary",
      "--no-color",
      "--no-ext-diff",
      "--no-textconv",
      `--src-prefix=a/${p}`,
      `--dst-prefix=b/${p}`,
      from,
      to,
      ...(exclude.length ? ["--", ...exclude.map((e) => `:(exclude)${e}`)] : []),
    ],
    { cwd: root },
  );
}

/** Removes the worktree at `path` (when there) and the branch; returns the branch's tip (null when gone). */
export async function removeBranch(
  repo: string,
  branch: string,
  path: string | null,
): Promise<string | null> {
  if (path) {
    const listed = await gitOk(["worktree", "list", "--porcelain", "-z"], { cwd: repo });
    if (listed.split("\0").includes(`worktree ${path}`)) {
      await gitOk(["worktree", "remove", "--force", "--force", path], { cwd: repo });
    }
    await git(["worktree", "prune"], { cwd: repo });
  }
  const tip = await resolveRef(repo, heads(branch));
  // update-ref -d, as deleting a task does: git branch -D would write a .git/packed-refs.
  if (tip) await deleteBranch(repo, branch);
  return tip;
}

/** The remote a pull request's branch is pushed to: origin, or the only/first one; null when none. */
export async function pushRemote(repo: string): Promise<string | null> {
  const names = (await gitOk(["remote"], { cwd: repo })).split("\n").filter(Boolean);
  return names.includes("origin") ? "origin" : (names[0] ?? null);
}

export async function pushBranch(repo: string, remote: string, branch: string): Promise<void> {
  const r = await git(["push", "--quiet", remote, `${heads(branch)}:${heads(branch)}`], {
    cwd: repo,
    timeoutMs: 300_000,
  });
  if (r.exitCode !== 0) {
    throw new AppError(
      "push_failed",
      `git push to ${remote} failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`,
    );
  }
}
