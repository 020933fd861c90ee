// git for changes/ (snapshots and diffs): here because runner/ is the only code that imports execa.
import { loadExeca } from "./execa.ts";

export interface GitOptions {
  cwd: string;
  /** Base environment (default: process.env); variables that point git elsewhere are removed. */
  env?: NodeJS.ProcessEnv | undefined;
  /** A private index for this command (GIT_INDEX_FILE); the user's index is never written. */
  indexFile?: string | undefined;
  input?: string | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Author and committer of the commits this command makes (the user's config is not read for it). */
  identity?: GitIdentity | undefined;
}

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** git itself could not be run (not installed, timed out, cancelled). */
export class GitUnavailableError extends Error {
  override name = "GitUnavailableError";
}

// Variables that would make git look at another repository, work tree or index than cwd's.
const RELOCATING = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE",
  "GIT_COMMON_DIR",
  "GIT_PREFIX",
];

/**
 * Settings that keep git from writing anything but objects and our private index: no background
 * maintenance, no fsmonitor daemon, no split index or untracked cache written next to .git's files.
 */
const SAFE_CONFIG = [
  "gc.auto=0",
  "maintenance.auto=false",
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "core.splitIndex=false",
  "core.safecrlf=false",
  "advice.addEmbeddedRepo=false",
  "advice.addIgnoredFile=false",
].flatMap((c) => ["-c", c]);

const DEFAULT_TIMEOUT_MS = 120_000;

function gitEnv(opts: GitOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const k of RELOCATING) delete env[k];
  // GIT_OPTIONAL_LOCKS=0: `status`-like refreshes must not rewrite the user's index behind our back.
  Object.assign(env, { GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", LANGUAGE: "" });
  if (opts.indexFile) env.GIT_INDEX_FILE = opts.indexFile;
  if (opts.identity) {
    const { name, email } = opts.identity;
    Object.assign(env, {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    });
  }
  return env;
}

function execaOptions(opts: GitOptions) {
  return {
    cwd: opts.cwd,
    env: gitEnv(opts),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000,
    maxBuffer: 64 * 1024 * 1024,
  } as const;
}

/** Runs git and returns its exit code and output; throws GitUnavailableError when it did not run to an exit. */
export async function git(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  const { execa } = await loadExeca();
  const r = await execa("git", [...SAFE_CONFIG, ...args], {
    ...execaOptions(opts),
    input: opts.input ?? "",
  });
  if (r.exitCode === undefined || r.isTerminated || r.isMaxBuffer) {
    throw new GitUnavailableError(r.shortMessage ?? `git ${args[0]} did not finish`);
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Like git(), but fails on a non-zero exit with git's message. */
export async function gitOk(args: readonly string[], opts: GitOptions): Promise<string> {
  const r = await git(args, opts);
  if (r.exitCode !== 0) {
    throw new Error(
      `git ${args[0]} exited with code ${r.exitCode}: ${r.stderr.trim().split("\n").at(-1) ?? ""}`,
    );
  }
  return r.stdout;
}

/**
 * Streams git's stdout line by line to onLine; onLine returns false to stop early, which ends git
 * (its output is not read further). Resolves whether it was stopped; rejects when git failed.
 */
export async function gitLines(
  args: readonly string[],
  opts: GitOptions,
  onLine: (line: string) => boolean,
): Promise<{ stopped: boolean }> {
  const { execa } = await loadExeca();
  const subprocess = execa("git", [...SAFE_CONFIG, ...args], {
    ...execaOptions(opts),
    stdin: "ignore",
    buffer: { stdout: false, stderr: true },
  });
  let stopped = false;
  try {
    for await (const line of subprocess.iterable({ from: "stdout" })) {
      if (!onLine(String(line))) {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    // Leaving the loop early closes git's stdout; the broken pipe that follows is expected.
    if (!stopped) throw err;
  }
  if (stopped) {
    subprocess.kill();
    await subprocess.catch(() => undefined);
    return { stopped };
  }
  const r = await subprocess;
  if (r.exitCode === undefined || r.isTerminated) {
    throw new GitUnavailableError(r.shortMessage ?? `git ${args[0]} did not finish`);
  }
  if (r.exitCode !== 0) {
    throw new Error(
      `git ${args[0]} exited with code ${r.exitCode}: ${String(r.stderr).trim().split("\n").at(-1) ?? ""}`,
    );
  }
  return { stopped };
}

// ---- Worktrees for isolated tasks (loop/isolation.ts). Only loop's branch and worktree are written.

/** loop's commits are never signed (no agent, no prompt for a passphrase in a headless run). */
const NO_SIGN = ["-c", "commit.gpgsign=false"];

/** loop's own identity for its commits (LOOP_GIT_AUTHOR): the user's config is never read for it nor written. */
export const LOOP_IDENTITY: GitIdentity = { name: "loop", email: "loop@localhost" };

/** The top of the work tree `dir` is in, or null when it is not in one (or git is missing). */
export async function gitTopLevel(dir: string): Promise<string | null> {
  try {
    const r = await git(["rev-parse", "--show-toplevel"], { cwd: dir, timeoutMs: 20_000 });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

/** The branch checked out at `dir` (its short name), or null on a detached HEAD. */
export async function currentBranch(dir: string): Promise<string | null> {
  const r = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: dir, timeoutMs: 20_000 });
  return r.exitCode === 0 ? r.stdout.trim() || null : null;
}

/** Whether the repository at `dir` has a commit at HEAD (a worktree is made from it). */
export async function gitHasHead(dir: string): Promise<boolean> {
  const r = await git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], { cwd: dir, timeoutMs: 20_000 });
  return r.exitCode === 0;
}

/** A worktree at `path` on `branch`: a new branch from HEAD, or the branch as it stands when it exists. */
export async function addWorktree(repo: string, path: string, branch: string): Promise<void> {
  const exists = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: repo });
  const args = exists.exitCode === 0 ? [path, branch] : ["-b", branch, path, "HEAD"];
  await gitOk(["worktree", "add", "--quiet", ...args], { cwd: repo });
}

/** Commits everything in the worktree (its own index) on its branch; false when nothing changed. */
export async function commitAll(
  worktree: string,
  message: string,
  identity: GitIdentity = LOOP_IDENTITY,
): Promise<boolean> {
  await gitOk(["add", "--all"], { cwd: worktree });
  const staged = await git(["diff", "--cached", "--quiet"], { cwd: worktree });
  if (staged.exitCode === 0) return false;
  await gitOk([...NO_SIGN, "commit", "--quiet", "--no-verify", "--cleanup=verbatim", "-F", "-"], {
    cwd: worktree,
    identity,
    input: message,
  });
  return true;
}

/** A commit of `tree` with these parents, written as an object only (no ref, index or file changes). */
export async function commitTree(
  repo: string,
  tree: string,
  parents: readonly string[],
  message: string,
  identity: GitIdentity,
): Promise<string> {
  const out = await gitOk(
    [...NO_SIGN, "commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"],
    {
      cwd: repo,
      identity,
      input: message,
    },
  );
  return out.trim();
}

/** Removes a worktree, even with changes in it or locked. */
export async function removeWorktree(repo: string, path: string): Promise<void> {
  await gitOk(["worktree", "remove", "--force", "--force", path], { cwd: repo });
}

/**
 * Deletes loop's branch and nothing else: `update-ref -d`, not `branch -D`, which (git 2.39) writes a
 * header-only .git/packed-refs into a repository that had none.
 */
export async function deleteBranch(repo: string, branch: string): Promise<void> {
  await gitOk(["update-ref", "-d", `refs/heads/${branch}`], { cwd: repo });
}
