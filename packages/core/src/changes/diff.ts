import { gitLines, gitOk } from "../runner/git.ts";
import { diffFileLists } from "./files.ts";
import { renderChanges } from "./markdown.ts";
import { PatchCapper } from "./patch.ts";
import type { GitSnapshot, Snapshot } from "./snapshot.ts";
import type { ChangedFile, ChangeStatus, Changes, OmittedDiff, RenderedChanges } from "./types.ts";

/** The changes but their title, which the caller gives. */
type Computed = Omit<Changes, "title">;

export interface DiffOptions {
  /** The Markdown heading (default "Changes"). */
  title?: string | undefined;
  /** Most bytes of diff shown in all (default 512 KiB). */
  maxBytes?: number | undefined;
  /** Most bytes of diff shown for one file (default 128 KiB). */
  maxFileBytes?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export const DEFAULT_MAX_DIFF_BYTES = 512 * 1024;
export const DEFAULT_MAX_FILE_DIFF_BYTES = 128 * 1024;

/**
 * What changed from `before` to `after` (two snapshots of one directory), as data with its
 * Markdown (NNN-changes.md) rendered from it. For the whole task, pass its first and last
 * snapshots. Never throws but for a cancel: what cannot be compared is said in `notes`.
 */
export async function diff(
  before: Snapshot,
  after: Snapshot,
  opts: DiffOptions = {},
): Promise<RenderedChanges> {
  let result: Computed;
  if (before.kind === "git" && after.kind === "git" && before.root === after.root) {
    try {
      result = await gitDiff(before, after, opts);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      result = nothing(`The diff could not be computed: ${(err as Error).message}`);
    }
  } else if (before.kind === "files" && after.kind === "files") {
    const files = diffFileLists(before.files, after.files).map(
      (c): ChangedFile => ({ ...c, oldPath: null, added: null, deleted: null, binary: false, patch: null }),
    );
    const notes = [...new Set([before.capped, after.capped])]
      .filter((c): c is string => c !== null)
      .map((c) => `The snapshot is incomplete (${c}): changes beyond it are not seen.`);
    result = { kind: "files", files, added: 0, deleted: 0, omitted: [], notes };
  } else {
    result = nothing(mismatch(before, after));
  }
  return rendered(opts.title, result);
}

/** The whole task's change: from its first snapshot to its last. */
export async function diffAll(
  snapshots: readonly Snapshot[],
  opts: DiffOptions = {},
): Promise<RenderedChanges> {
  const first = snapshots[0];
  const last = snapshots.at(-1);
  if (!first || !last) return rendered(opts.title, nothing("No snapshot was taken."));
  return diff(first, last, opts);
}

function rendered(title: string | undefined, computed: Computed): RenderedChanges {
  const changes: Changes = { title: title ?? "Changes", ...computed };
  return { ...changes, markdown: renderChanges(changes) };
}

const nothing = (note: string): Computed => ({
  kind: "none",
  files: [],
  added: 0,
  deleted: 0,
  omitted: [],
  notes: [note],
});

function mismatch(before: Snapshot, after: Snapshot): string {
  for (const s of [before, after]) {
    if (s.kind === "unavailable") return `The working directory could not be read: ${s.reason}`;
  }
  if (before.kind === "git" && after.kind === "git") {
    return `The working directory moved from the repository ${before.root} to ${after.root}; nothing to compare.`;
  }
  return after.kind === "git"
    ? "The working directory became a git repository during this run; nothing to compare."
    : "The working directory stopped being a git repository during this run; nothing to compare.";
}

const STATUS: Record<string, ChangeStatus> = {
  A: "added",
  M: "modified",
  D: "deleted",
  R: "renamed",
  C: "copied",
  T: "type_changed",
};

async function gitDiff(before: GitSnapshot, after: GitSnapshot, opts: DiffOptions): Promise<Computed> {
  const notes = [...new Set([...before.warnings, ...after.warnings])].map((w) => `git: ${w}`);
  if (before.tree === after.tree) {
    return { kind: "git", files: [], added: 0, deleted: 0, omitted: [], notes };
  }
  const run = { cwd: after.root, env: opts.env, signal: opts.signal, timeoutMs: opts.timeoutMs };
  const exclude = [...new Set([...before.exclude, ...after.exclude])];
  const pathspec = exclude.length ? ["--", ...exclude.map((p) => `:(exclude)${p}`)] : [];
  // The three runs list the files in the same order, which pairs the patch's files with the list's.
  const diffTree = (...format: string[]) => [
    "diff-tree",
    "-r",
    "-M",
    "--no-ext-diff",
    "--no-textconv",
    ...format,
    before.tree,
    after.tree,
    ...pathspec,
  ];
  const [raw, numstat] = await Promise.all([
    gitOk(diffTree("--raw", "-z"), run),
    gitOk(diffTree("--numstat", "-z"), run),
  ]);
  const files = parseRaw(raw);
  const counts = parseNumstat(numstat);
  for (const f of files) {
    const c = counts.get(f.path);
    if (!c) continue;
    f.added = c.added;
    f.deleted = c.deleted;
    f.binary = c.added === null;
  }

  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DIFF_BYTES;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_DIFF_BYTES;
  const capper = new PatchCapper(maxBytes, maxFileBytes);
  await gitLines(diffTree("-p", "--no-color"), run, (line) => capper.line(line));
  const kept = capper.end();
  const omitted: OmittedDiff[] = [];
  files.forEach((f, i) => {
    const shown = kept[i];
    if (!shown) omitted.push({ path: f.path, reason: "total_cap", shownHunks: 0 });
    else {
      f.patch = shown.patch;
      if (shown.dropped > 0) {
        omitted.push({ path: f.path, reason: "file_cap", shownHunks: shown.patch.hunks.length });
      }
    }
  });
  return {
    kind: "git",
    files,
    added: files.reduce((n, f) => n + (f.added ?? 0), 0),
    deleted: files.reduce((n, f) => n + (f.deleted ?? 0), 0),
    omitted,
    notes,
  };
}

/** `git diff-tree --raw -z`: `:mode mode sha sha S\0path\0`, or `…R086\0old\0new\0` for renames and copies. */
export function parseRaw(out: string): ChangedFile[] {
  const parts = out.split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length; ) {
    const meta = parts[i++]!;
    if (!meta.startsWith(":")) continue;
    const letter = meta.split(" ").at(-1)?.[0] ?? "M";
    const status = STATUS[letter] ?? "modified";
    const twoPaths = letter === "R" || letter === "C";
    const oldPath = twoPaths ? parts[i++]! : null;
    const path = parts[i++]!;
    files.push({ path, oldPath, status, added: null, deleted: null, binary: false, patch: null });
  }
  return files;
}

/** `git diff-tree --numstat -z`: `a\td\tpath\0`, or `a\td\t\0old\0new\0`; `-\t-` for binary files. */
export function parseNumstat(out: string): Map<string, { added: number | null; deleted: number | null }> {
  const parts = out.split("\0");
  const counts = new Map<string, { added: number | null; deleted: number | null }>();
  for (let i = 0; i < parts.length; ) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(parts[i++]!);
    if (!m) continue;
    let path = m[3]!;
    if (path === "") {
      i++; // the old path of a rename
      path = parts[i++] ?? "";
    }
    const n = (s: string) => (s === "-" ? null : Number(s));
    counts.set(path, { added: n(m[1]!), deleted: n(m[2]!) });
  }
  return counts;
}
