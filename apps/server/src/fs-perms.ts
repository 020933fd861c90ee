import { closeSync, mkdirSync, openSync, statSync } from "node:fs";

/** Group or other may read, write or enter. */
const SHARED = 0o077;

const modeOf = (path: string): number | undefined => {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
};

/**
 * Makes loop's own files readable by the owner only, before anything opens them: the artifacts
 * root is created 0700 (task folders 0700 and files 0600 come from ArtifactStore), and a missing
 * database is created empty with 0600, which SQLite copies to the -wal and -shm files it makes.
 * Existing files keep their modes (they may be shared on purpose), with a warning when others can
 * read them. The token is written only to owner-only files of its own (state-files.ts).
 */
export function secureStorage(
  paths: { dbPath: string; artifactsDir: string },
  warn: (message: string) => void,
): void {
  const created = mkdirSync(paths.artifactsDir, { recursive: true, mode: 0o700 });
  const artifactsMode = modeOf(paths.artifactsDir);
  if (created === undefined && artifactsMode !== undefined && artifactsMode & SHARED) {
    warn(
      `${paths.artifactsDir} is open to other users (mode ${artifactsMode.toString(8)}); run chmod 700 on it`,
    );
  }
  if (paths.dbPath === ":memory:") return;
  for (const file of [paths.dbPath, `${paths.dbPath}-wal`, `${paths.dbPath}-shm`]) {
    const mode = modeOf(file);
    if (mode !== undefined && mode & SHARED) {
      warn(`${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 ${paths.dbPath}*`);
    }
  }
  if (modeOf(paths.dbPath) === undefined) closeSync(openSync(paths.dbPath, "wx", 0o600));
}
