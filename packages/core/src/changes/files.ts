import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  type Stats,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** One file of a snapshot outside git. */
export interface FileEntry {
  /** Relative to the snapshot's directory, with forward slashes. */
  path: string;
  size: number;
  /** sha1 of the content (`link:<target>` for a symlink), or null when it was too big to hash. */
  hash: string | null;
  /** Compared instead of the hash when there is none. */
  mtimeMs: number;
}

export interface FileLimits {
  /** Stop listing after this many files (default 20 000). */
  maxFiles: number;
  /** Larger files are compared by size and mtime, not hashed (default 8 MiB). */
  maxFileBytes: number;
  /** Stop hashing after this many bytes in all (default 256 MiB); later files by size and mtime. */
  maxTotalBytes: number;
}

export const DEFAULT_FILE_LIMITS: FileLimits = {
  maxFiles: 20_000,
  maxFileBytes: 8 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

/** Directories never worth listing: dependencies and VCS data. */
const SKIP_DIRS = new Set(["node_modules", ".git", ".hg", ".svn"]);

/*
 * Listing, lstat and reading small files are synchronous calls of microseconds: as promises each was
 * a thread-pool round trip, and a snapshot made several per file, twice an iteration (pnpm bench,
 * overhead_ms_per_iteration). The event loop gets a turn every few milliseconds; larger files are
 * read asynchronously.
 */
/** Files up to this size are read synchronously. */
const SYNC_READ_MAX = 256 * 1024;
/** Longest stretch of synchronous work before the event loop gets a turn. */
const SLICE_MS = 4;
// O_NONBLOCK: a file swapped for a FIFO after its lstat must not block the event loop on open.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A regular file's content, read without following a link; null when it is not one (any more). */
function readSmallFile(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch {
    return null;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Lists the files under dir (not following symlinks), sorted by path, within limits.
 * `capped` says what was left out, or is null.
 */
export async function walkFiles(
  dir: string,
  opts: {
    exclude?: readonly string[];
    limits?: Partial<FileLimits> | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<{ files: FileEntry[]; capped: string | null }> {
  const limits = { ...DEFAULT_FILE_LIMITS, ...opts.limits };
  const exclude = new Set(opts.exclude ?? []);
  const files: FileEntry[] = [];
  const notes: string[] = [];
  let hashed = 0;
  let unhashed = 0;
  let full = false;
  const unreadable: string[] = [];
  let sliceStart = performance.now();
  const yieldNow = async () => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await new Promise((r) => setImmediate(r));
    opts.signal?.throwIfAborted();
    sliceStart = performance.now();
  };
  // Breadth first, so a cap keeps the files nearest the top.
  const queue: string[] = [""];
  while (queue.length > 0 && !full) {
    opts.signal?.throwIfAborted();
    const rel = queue.shift()!;
    let names: { name: string; isDir: boolean }[];
    try {
      names = readdirSync(join(dir, rel), { withFileTypes: true }).map((d) => ({
        name: d.name,
        isDir: d.isDirectory(),
      }));
    } catch (err) {
      // The top directory must be readable; below it, an unreadable folder is named and skipped.
      if (rel === "") throw err;
      unreadable.push(rel);
      continue;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, isDir } of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (exclude.has(path)) continue;
      if (isDir) {
        if (!SKIP_DIRS.has(name)) queue.push(path);
        continue;
      }
      if (files.length >= limits.maxFiles) {
        full = true;
        break;
      }
      await yieldNow();
      const abs = join(dir, path);
      let st: Stats | null;
      try {
        st = lstatSync(abs);
      } catch {
        st = null;
      }
      if (!st || !(st.isFile() || st.isSymbolicLink())) continue;
      let hash: string | null = null;
      if (st.isSymbolicLink()) hash = `link:${readLinkOr(abs, "?")}`;
      else if (st.size <= limits.maxFileBytes && hashed + st.size <= limits.maxTotalBytes) {
        const content = st.size <= SYNC_READ_MAX ? readSmallFile(abs) : await readFile(abs).catch(() => null);
        if (content) {
          hash = createHash("sha1").update(content).digest("hex");
          hashed += content.length;
        }
      }
      if (hash === null && !st.isSymbolicLink()) unhashed++;
      files.push({ path, size: st.size, hash, mtimeMs: Math.trunc(st.mtimeMs) });
    }
  }
  if (full) notes.push(`only the first ${limits.maxFiles} files are listed`);
  if (unreadable.length > 0) notes.push(`unreadable folders skipped: ${unreadable.slice(0, 10).join(", ")}`);
  if (unhashed > 0) notes.push(`${unhashed} large or unreadable file(s) are compared by size and time only`);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, capped: notes.length ? notes.join("; ") : null };
}

function readLinkOr(path: string, fallback: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return fallback;
  }
}

export interface FileChange {
  path: string;
  status: "added" | "modified" | "deleted";
  oldSize: number | null;
  newSize: number | null;
}

/** Added, modified and deleted files between two listings, sorted by path. */
export function diffFileLists(before: readonly FileEntry[], after: readonly FileEntry[]): FileChange[] {
  const old = new Map(before.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  for (const f of after) {
    const o = old.get(f.path);
    old.delete(f.path);
    if (!o) changes.push({ path: f.path, status: "added", oldSize: null, newSize: f.size });
    else if (
      o.size !== f.size ||
      (o.hash !== null && f.hash !== null ? o.hash !== f.hash : o.mtimeMs !== f.mtimeMs)
    ) {
      changes.push({ path: f.path, status: "modified", oldSize: o.size, newSize: f.size });
    }
  }
  for (const o of old.values())
    changes.push({ path: o.path, status: "deleted", oldSize: o.size, newSize: null });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
