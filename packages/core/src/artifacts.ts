import { randomBytes } from "node:crypto";
import { constants, lstatSync, mkdirSync, realpathSync, renameSync } from "node:fs";
import {
  access,
  lstat,
  open,
  readdir,
  readlink,
  realpath,
  rm,
  rmdir,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import type { Artifact } from "@loop/shared";

/** Artifact names are flat Markdown files: no separators, no dot-files, nothing to traverse with. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.md$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,100}$/;

// O_NONBLOCK: opening a FIFO planted under an artifact's name must not hang a libuv thread.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export const iterationFile = (n: number, agent: "claude" | "codex", kind: "prompt" | "output") =>
  `${String(n).padStart(3, "0")}-${agent}-${kind}.md`;

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
/** Errors that mean "there is no such plain file here" (ELOOP: O_NOFOLLOW met a link). */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EISDIR", "ENXIO"]);

/** Where an open descriptor really is (Linux); undefined where /proc is missing. */
async function fdPath(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * A file's text when `path` is a regular file with one link, opened without following a symlink
 * (and, where `expected` is given, really at that path once opened: no link anywhere on the way);
 * undefined otherwise. Hard links are refused too: one to ~/.ssh/id_rsa is a "regular file".
 */
export async function readRegularFile(path: string, expected?: string): Promise<string | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (e) {
    if (ABSENT.has(errno(e) ?? "")) return undefined;
    throw e;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile() || s.nlink !== 1) return undefined;
    if (expected !== undefined) {
      const at = (await fdPath(fh.fd)) ?? (await realpath(path));
      if (at !== expected) return undefined;
    }
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * `$LOOP_ARTIFACTS_DIR/<task-id>/*.md`, written as the run goes so a crash keeps what was done.
 *
 * Agents may be able to write into a task's folder, so nothing here follows a symlink: the folder
 * must be a real directory right under the (resolved) root, files are opened with O_NOFOLLOW and
 * checked for where they really are, only regular single-link files are listed or served, and
 * deletion unlinks links instead of following them. Folders are 0700, files 0600.
 */
export class ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  dir(taskId: string): string {
    if (!TASK_ID.test(taskId)) throw new Error(`invalid task id ${JSON.stringify(taskId)}`);
    return join(this.root, taskId);
  }

  path(taskId: string, name: string): string {
    if (!NAME.test(name) || name.includes(".."))
      throw new Error(`invalid artifact name ${JSON.stringify(name)}`);
    return join(this.dir(taskId), name);
  }

  /*
   * The folder checks below are metadata calls of microseconds, made synchronously: as promises each
   * was a thread-pool round trip, a dozen per artifact written, six artifacts an iteration (pnpm
   * bench, overhead_ms_per_iteration).
   */

  /** The root with every link resolved, or undefined when it does not exist yet. */
  private realRoot(): string | undefined {
    try {
      return realpathSync(this.root);
    } catch (e) {
      if (errno(e) === "ENOENT") return undefined;
      throw e;
    }
  }

  /** The task's folder when it is a real directory (not a link) right under the root. */
  private taskDir(taskId: string): string | undefined {
    if (!TASK_ID.test(taskId)) return undefined;
    const root = this.realRoot();
    if (root === undefined) return undefined;
    const dir = join(root, taskId);
    try {
      const s = lstatSync(dir);
      return s.isDirectory() && realpathSync(dir) === dir ? dir : undefined;
    } catch (e) {
      if (ABSENT.has(errno(e) ?? "")) return undefined;
      throw e;
    }
  }

  /**
   * Atomic write (temp file + rename): a reader or a crash never sees half a file. The temp file is
   * created exclusively (O_EXCL never follows a planted link) and the rename replaces whatever
   * entry has the name, a link included, without following it.
   */
  async write(taskId: string, name: string, content: string): Promise<void> {
    this.path(taskId, name);
    let tmp: string | undefined;
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      try {
        mkdirSync(this.dir(taskId), { mode: 0o700 });
      } catch (e) {
        if (errno(e) !== "EEXIST") throw e;
      }
      const dir = this.taskDir(taskId);
      if (dir === undefined) {
        throw Object.assign(
          new Error(`the artifact folder of task ${taskId} is not a plain directory; not writing into it`),
          { code: "ENOTDIR" },
        );
      }
      tmp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
      await writeFile(tmp, content, { encoding: "utf8", flag: "wx", mode: 0o600 });
      renameSync(tmp, join(dir, name));
    } catch (err) {
      // A failed write leaves no temp file, and its error names the real cause.
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
      throw await this.cause(err);
    }
  }

  /** `mkdir -p` says ENOENT or EEXIST for a read-only tree or a file in the way: find the real cause. */
  private async cause(err: unknown): Promise<unknown> {
    const code = errno(err);
    if (code !== "ENOENT" && code !== "EEXIST") return err;
    try {
      await access(this.root, constants.W_OK);
    } catch (e) {
      return e;
    }
    return code === "EEXIST"
      ? Object.assign(new Error(`${(err as Error).message} (not a folder)`), { code: "ENOTDIR" })
      : err;
  }

  /** Removes the task's folder and everything in it; a link (the folder or inside it) is unlinked, never followed. */
  async remove(taskId: string): Promise<void> {
    this.dir(taskId);
    const root = this.realRoot();
    if (root !== undefined) await removeEntry(join(root, taskId));
  }

  /** Regular files with artifact names, sorted; links, folders and anything else are left out. */
  async list(taskId: string): Promise<Artifact[]> {
    const dir = this.taskDir(taskId);
    if (dir === undefined) return [];
    const names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
    const out: Artifact[] = [];
    for (const name of names) {
      const s = await lstat(join(dir, name)).catch(() => undefined);
      if (s?.isFile() && s.nlink === 1) out.push({ name, size: s.size });
    }
    return out;
  }

  /** The file's text, or undefined when there is no such artifact (or it is a link, a folder, …). */
  async read(taskId: string, name: string): Promise<string | undefined> {
    if (!NAME.test(name) || name.includes("..")) return undefined;
    const dir = this.taskDir(taskId);
    if (dir === undefined) return undefined;
    const file = join(dir, name);
    return readRegularFile(file, file);
  }
}

/** `rm -r` that never follows a link: `path` must already be free of links (it is under the real root). */
async function removeEntry(path: string): Promise<void> {
  let s: Awaited<ReturnType<typeof lstat>>;
  try {
    s = await lstat(path);
  } catch (e) {
    if (errno(e) === "ENOENT") return;
    throw e;
  }
  // Re-checked right before listing: a folder swapped for a link since the lstat is only unlinked.
  if (!s.isDirectory() || (await realpath(path).catch(() => "")) !== path) {
    await unlink(path).catch((e) => {
      if (errno(e) !== "ENOENT") throw e;
    });
    return;
  }
  for (const name of await readdir(path)) await removeEntry(join(path, name));
  await rmdir(path);
}
