import { gitLines, gitOk } from "../runner/git.ts";
import { diffFileLists } from "./files.ts";
import { renderChanges } from "./markdown.ts";
import type { GitSnapshot, Snapshot } from "./snapshot.ts";
import type { ChangedFile, ChangeStatus, Changes, OmittedDiff } from "./types.ts";

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
 * What changed from `before` to `after` (two snapshots of one directory), with the Markdown of
 * NNN-changes.md. For the whole task, pass its first and last snapshots. Never throws but for a
 * cancel: what cannot be compared is said in `notes` and the Markdown.
 */
export async function diff(before: Snapshot, after: Snapshot, opts: DiffOptions = {}): Promise<Changes> {
  const title = opts.title ?? "Changes";
  let result: Omit<Changes, "markdown">;
  if (before.kind === "git" && after.kind === "git" && before.root === after.root) {
    try {
      result = await gitDiff(before, after, opts);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      result = nothing(`The diff could not be computed: ${(err as Error).message}`);
    }
  } else if (before.kind === "files" && after.kind === "files") {
    const files = diffFileLists(before.files, after.files).map(
      (c): ChangedFile => ({ ...c, oldPath: null, added: null, deleted: null, binary: false }),
    );
    const notes = [...new Set([before.capped, after.capped])]
      .filter((c): c is string => c !== null)
      .map((c) => `The snapshot is incomplete (${c}): changes beyond it are not seen.`);
    result = { kind: "files", files, added: 0, deleted: 0, patch: "", omitted: [], notes };
  } else {
    result = nothing(mismatch(before, after));
  }
  return { ...result, markdown: renderChanges(title, result) };
}

/** The whole task's change: from its first snapshot to its last. */
export async function diffAll(snapshots: readonly Snapshot[], opts: DiffOptions = {}): Promise<Changes> {
  const first = snapshots[0];
  const last = snapshots.at(-1);
  if (!first || !last) {
    const result = nothing("No snapshot was taken.");
    return { ...result, markdown: renderChanges(opts.title ?? "Changes", result) };
  }
  return diff(first, last, opts);
}

const nothing = (note: string): Omit<Changes, "markdown"> => ({
  kind: "none",
  files: [],
  added: 0,
  deleted: 0,
  patch: "",
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

async function gitDiff(
  before: GitSnapshot,
  after: GitSnapshot,
  opts: DiffOptions,
): Promise<Omit<Changes, "markdown">> {
  const notes = [...new Set([...before.warnings, ...after.warnings])].map((w) => `git: ${w}`);
  if (before.tree === after.tree) {
    return { kind: "git", files: [], added: 0, deleted: 0, patch: "", omitted: [], notes };
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
  const { patch, perFile } = capper.end();
  const omitted: OmittedDiff[] = [];
  files.forEach((f, i) => {
    const shown = perFile[i];
    if (!shown) omitted.push({ path: f.path, reason: "total_cap", shownHunks: 0 });
    else if (shown.dropped > 0) {
      omitted.push({ path: f.path, reason: "file_cap", shownHunks: shown.kept });
    }
  });
  return {
    kind: "git",
    files,
    added: files.reduce((n, f) => n + (f.added ?? 0), 0),
    deleted: files.reduce((n, f) => n + (f.deleted ?? 0), 0),
    patch,
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
    files.push({ path, oldPath, status, added: null, deleted: null, binary: false });
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

/**
 * Keeps a unified diff within a total and a per-file size while it streams, cutting only between
 * hunks so what is kept still parses as a diff. Holds at most one hunk beyond what it keeps.
 * A file over its own cap keeps its first hunks; once the total is reached, reading stops.
 */
class PatchCapper {
  private out: string[] = [];
  private outBytes = 0;
  private files: { kept: number; dropped: number }[] = [];
  private file: { lines: string[]; bytes: number; kept: number; dropped: number; skipRest: boolean } | null =
    null;
  /** `bytes` keeps counting after `lines` are let go (overflow), to tell which cap was hit. */
  private hunk: { lines: string[]; bytes: number; overflow: boolean } | null = null;
  private full = false;
  private readonly maxBytes: number;
  private readonly maxFileBytes: number;

  constructor(maxBytes: number, maxFileBytes: number) {
    this.maxBytes = maxBytes;
    this.maxFileBytes = maxFileBytes;
  }

  /** False once the total cap is reached: read no further. */
  line(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (line.startsWith("diff --git ")) {
      this.endFile();
      if (this.full || this.outBytes + bytes > this.maxBytes) return false;
      this.file = { lines: [line], bytes, kept: 0, dropped: 0, skipRest: false };
      return true;
    }
    const file = this.file;
    if (!file) return true;
    if (line.startsWith("@@")) {
      this.endHunk();
      if (this.full) return false;
      this.hunk = { lines: [line], bytes, overflow: file.skipRest };
      return true;
    }
    const hunk = this.hunk;
    if (!hunk) {
      file.lines.push(line);
      file.bytes += bytes;
      return true;
    }
    hunk.bytes += bytes;
    if (hunk.overflow) return true;
    hunk.lines.push(line);
    if (file.bytes + hunk.bytes > this.allowance()) {
      hunk.overflow = true;
      hunk.lines = [];
    }
    return true;
  }

  /** The patch kept, and for each file shown (in order) how many hunks were kept and dropped. */
  end(): { patch: string; perFile: { kept: number; dropped: number }[] } {
    this.endFile();
    return { patch: this.out.join("\n"), perFile: this.files };
  }

  /** Bytes the current file may still take: its own cap and what is left of the total. */
  private allowance(): number {
    return Math.min(this.maxFileBytes, this.maxBytes - this.outBytes);
  }

  private endHunk() {
    const file = this.file;
    const hunk = this.hunk;
    this.hunk = null;
    if (!file || !hunk) return;
    if (!hunk.overflow && file.bytes + hunk.bytes <= this.allowance()) {
      file.lines.push(...hunk.lines);
      file.bytes += hunk.bytes;
      file.kept++;
      return;
    }
    file.dropped++;
    // Later hunks would read out of order after a gap: the rest of this file is left out too.
    file.skipRest = true;
    if (!hunk.overflow || file.bytes + hunk.bytes <= this.maxFileBytes) this.full = true;
  }

  private endFile() {
    this.endHunk();
    const file = this.file;
    this.file = null;
    if (!file) return;
    // A file the total cap left no hunk of is not shown at all, nor is one whose header does not fit.
    if ((this.full && file.kept === 0 && file.dropped > 0) || this.outBytes + file.bytes > this.maxBytes) {
      this.full = true;
      return;
    }
    this.out.push(...file.lines);
    this.outBytes += file.bytes;
    this.files.push({ kept: file.kept, dropped: file.dropped });
  }
}
