import { constants } from "node:fs";
import { copyFile, lstat, mkdtemp, rename, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { GitUnavailableError, git, gitOk } from "../runner/git.ts";
import { type FileEntry, type FileLimits, walkFiles } from "./files.ts";

/** The working tree of a git repository, as a tree object written from a private index. */
export interface GitSnapshot {
  kind: "git";
  dir: string;
  /** The repository's top level. */
  root: string;
  /** The tree of `dir` (a subtree when dir is below the top level). */
  tree: string;
  /** Paths left out (relative to dir), left out of the diff too. */
  exclude: string[];
  takenAt: string;
  /** Files git could not read (they keep what the user's index has for them). */
  warnings: string[];
}

/** Outside git: paths, sizes and content hashes, bounded. */
export interface FilesSnapshot {
  kind: "files";
  dir: string;
  files: FileEntry[];
  /** Why the snapshot is incomplete (too many files, too many bytes to hash), or null. */
  capped: string | null;
  takenAt: string;
}

/** The directory could not be looked at (missing, unreadable). */
export interface UnavailableSnapshot {
  kind: "unavailable";
  dir: string;
  reason: string;
  takenAt: string;
}

/** Plain JSON: it can be stored to diff against after a resume. */
export type Snapshot = GitSnapshot | FilesSnapshot | UnavailableSnapshot;

export interface SnapshotOptions {
  /** Paths (relative to dir, or absolute inside it) to leave out, e.g. loop's artifacts directory. */
  exclude?: readonly string[] | undefined;
  /**
   * A file where the private index is kept between snapshots of the same directory, so git
   * re-hashes only what changed (without it, untracked files are hashed again every time).
   */
  indexCache?: string | undefined;
  /** Bounds outside git. */
  limits?: Partial<FileLimits> | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/**
 * What `dir` holds now. In a git repository: the working tree (tracked and untracked files,
 * .gitignore respected) written as a tree object through a private index, so the user's index,
 * HEAD, refs and stash are not touched; only unreferenced objects are added to .git/objects.
 * Elsewhere: a bounded list of paths, sizes and hashes. Never throws but for a cancel.
 */
export async function snapshot(dir: string, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const takenAt = new Date().toISOString();
  const abs = resolve(dir);
  const exclude = normaliseExclude(abs, opts.exclude ?? []);
  try {
    const repo = await findRepo(abs, opts);
    if (repo) return await gitSnapshot(abs, repo, exclude, opts, takenAt);
    const { files, capped } = await walkFiles(abs, { exclude, limits: opts.limits, signal: opts.signal });
    return { kind: "files", dir: abs, files, capped, takenAt };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { kind: "unavailable", dir: abs, reason: (err as Error).message, takenAt };
  }
}

interface Repo {
  root: string;
  /** dir relative to root, with a trailing slash, or "" at the top level. */
  prefix: string;
  index: string;
}

/**
 * Whether git could find a repository for `dir`: a `.git` (directory or file) in it or above. git
 * runs with the variables that relocate it removed (runner/git.ts), so this is how it searches too;
 * outside git it saves a git process per snapshot (two per iteration).
 */
async function hasGitAbove(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    if (
      await lstat(join(d, ".git")).then(
        () => true,
        () => false,
      )
    )
      return true;
    if (dirname(d) === d) return false;
  }
}

async function findRepo(dir: string, opts: SnapshotOptions): Promise<Repo | null> {
  if (!(await hasGitAbove(dir))) return null;
  let r: Awaited<ReturnType<typeof git>>;
  try {
    r = await git(
      ["rev-parse", "--is-inside-work-tree", "--show-toplevel", "--show-prefix", "--git-path", "index"],
      {
        cwd: dir,
        env: opts.env,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
      },
    );
  } catch (err) {
    // No git on this machine: the directory is looked at as plain files.
    if (err instanceof GitUnavailableError && !opts.signal?.aborted) return null;
    throw err;
  }
  const [inside, root, prefix, index] = r.stdout.split("\n");
  if (r.exitCode !== 0 || inside !== "true" || !root || prefix === undefined || !index) return null;
  if (prefix !== "") {
    // A directory git ignores (a dotfiles repository at $HOME ignoring `*`) would always look empty.
    const ignored = await git(["check-ignore", "-q", "--", prefix], {
      cwd: root,
      env: opts.env,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
    if (ignored.exitCode === 0) return null;
  }
  return { root, prefix, index: resolve(dir, index) };
}

async function gitSnapshot(
  dir: string,
  repo: Repo,
  exclude: readonly string[],
  opts: SnapshotOptions,
  takenAt: string,
): Promise<GitSnapshot> {
  const tmp = await mkdtemp(join(tmpdir(), "loop-snapshot-"));
  const index = join(tmp, "index");
  const run = { cwd: dir, env: opts.env, signal: opts.signal, timeoutMs: opts.timeoutMs, indexFile: index };
  const pathspec = ["--", ".", ...exclude.map((p) => `:(exclude)${p}`)];
  const writeTree = async (): Promise<{ tree: string | null; warnings: string[] }> => {
    // --ignore-errors: an unreadable file is reported and skipped instead of failing the snapshot.
    const add = await git(["add", "-A", "--ignore-errors", ...pathspec], run);
    const warnings = add.exitCode === 0 ? [] : errorLines(add.stderr);
    const args = repo.prefix ? ["write-tree", `--prefix=${repo.prefix}`] : ["write-tree"];
    const w = await git(args, run);
    if (w.exitCode === 0) return { tree: w.stdout.trim(), warnings };
    // An empty directory has no subtree.
    if (/prefix .* not found/.test(w.stderr)) return { tree: await emptyTree(run), warnings };
    return { tree: null, warnings: [...warnings, ...errorLines(w.stderr)] };
  };
  try {
    // Starting from a copy of the user's index (or our cached one) lets git skip unchanged files.
    const seeded = (await copyIfExists(opts.indexCache, index)) || (await copyIfExists(repo.index, index));
    let result = await writeTree();
    if (result.tree === null && seeded) {
      // A seed git cannot write a tree from (unmerged entries of a merge in progress): start empty.
      await rm(index, { force: true });
      result = await writeTree();
    }
    if (result.tree === null) throw new Error(`git could not snapshot ${dir}: ${result.warnings.join("; ")}`);
    if (opts.indexCache) await saveCache(index, opts.indexCache);
    return {
      kind: "git",
      dir,
      root: repo.root,
      tree: result.tree,
      exclude: [...exclude],
      takenAt,
      warnings: result.warnings,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Keeps the private index for the next snapshot; only an optimisation, so a failure is ignored. */
async function saveCache(index: string, cache: string): Promise<void> {
  const tmp = `${cache}.tmp`;
  try {
    // The cache may sit where an agent can write: never write through a planted link.
    await rm(tmp, { force: true });
    await copyIndex(index, tmp);
    await rename(tmp, cache);
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

async function emptyTree(run: Parameters<typeof gitOk>[1]): Promise<string> {
  return (await gitOk(["hash-object", "-t", "tree", "-w", "--stdin"], { ...run, input: "" })).trim();
}

/**
 * Copies an index with its mtime moved a second back. git trusts an entry's cached stat data only
 * if the file is older than the index ("racy git"); a copy stamped now would make a file edited in
 * the same clock tick as the original index look unchanged. Older is safe: git re-reads more.
 */
async function copyIndex(from: string, to: string): Promise<void> {
  const st = await stat(from);
  await copyFile(from, to, constants.COPYFILE_EXCL);
  await utimes(to, st.atime, new Date(st.mtimeMs - 1000));
}

async function copyIfExists(from: string | undefined, to: string): Promise<boolean> {
  if (!from) return false;
  try {
    await copyIndex(from, to);
    return true;
  } catch {
    return false;
  }
}

const errorLines = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(error|fatal|warning):/.test(l))
    .slice(0, 20);

/** Exclusions as paths relative to dir with forward slashes; those outside dir are dropped. */
function normaliseExclude(dir: string, exclude: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of exclude) {
    const rel = relative(dir, resolve(dir, p));
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    out.push(rel.split(sep).join("/"));
  }
  return out;
}
