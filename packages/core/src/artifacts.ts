import { constants } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Artifact } from "@loop/shared";

/** Artifact names are flat Markdown files: no separators, no dot-files, nothing to traverse with. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.md$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,100}$/;

export const iterationFile = (n: number, agent: "claude" | "codex", kind: "prompt" | "output") =>
  `${String(n).padStart(3, "0")}-${agent}-${kind}.md`;

/** `$LOOP_ARTIFACTS_DIR/<task-id>/*.md`, written as the run goes so a crash keeps what was done. */
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

  /**
   * Atomic write (temp file + rename): a reader or a crash never sees half a file, and a failed
   * write leaves no temp file. Errors carry the file system's real cause (EROFS, ENOSPC, ENOTDIR).
   */
  async write(taskId: string, name: string, content: string): Promise<void> {
    const target = this.path(taskId, name);
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir(taskId), { recursive: true });
      await writeFile(tmp, content, "utf8");
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw await this.cause(err);
    }
  }

  /** `mkdir -p` says ENOENT or EEXIST for a read-only tree or a file in the way: find the real cause. */
  private async cause(err: unknown): Promise<unknown> {
    const code = (err as NodeJS.ErrnoException).code;
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

  /** Removes the task's directory and everything in it. */
  async remove(taskId: string): Promise<void> {
    await rm(this.dir(taskId), { recursive: true, force: true });
  }

  async list(taskId: string): Promise<Artifact[]> {
    let names: string[];
    try {
      names = await readdir(this.dir(taskId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const md = names.filter((n) => NAME.test(n)).sort();
    return Promise.all(
      md.map(async (name) => ({ name, size: (await stat(join(this.dir(taskId), name))).size })),
    );
  }

  /** The file's text, or undefined when there is no such (valid) artifact. */
  async read(taskId: string, name: string): Promise<string | undefined> {
    if (!NAME.test(name) || !TASK_ID.test(taskId)) return undefined;
    try {
      return await readFile(this.path(taskId, name), "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EISDIR") return undefined;
      throw e;
    }
  }
}
