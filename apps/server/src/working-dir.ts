import { realpath, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { AppError } from "./errors.ts";

const inside = (dir: string, root: string) =>
  dir === root || dir.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Checks a task's working directory: an existing directory and, when `allowedRoots` is set, inside
 * one of them once every symlink is resolved (a link in an allowed root may point anywhere).
 * Returns the path to store: as given when anywhere is allowed, resolved when roots are set, so a
 * link re-pointed later cannot move a queued task elsewhere.
 */
export async function checkWorkingDir(dir: string, allowedRoots: readonly string[]): Promise<string> {
  const abs = resolve(dir);
  let real: string;
  try {
    real = await realpath(abs);
    if (!(await stat(real)).isDirectory()) {
      throw new AppError("invalid_working_dir", `The working directory ${abs} is not a directory`);
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      "invalid_working_dir",
      code === "ENOENT"
        ? `The working directory ${abs} does not exist`
        : `The working directory ${abs} cannot be read (${code})`,
    );
  }
  if (allowedRoots.length === 0) return abs;
  const roots = await Promise.all(allowedRoots.map((r) => realpath(r).catch(() => undefined)));
  if (!roots.some((r) => r !== undefined && inside(real, r))) {
    const via = real === abs ? "" : ` (it resolves to ${real})`;
    throw new AppError(
      "invalid_working_dir",
      `The working directory ${abs}${via} is outside the directories this server allows (LOOP_ALLOWED_ROOTS: ${allowedRoots.join(":")})`,
    );
  }
  return real;
}
