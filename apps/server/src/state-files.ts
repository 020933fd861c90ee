import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type ServerInfo, stateFiles } from "@loop/shared/server-info";

/** 24 random bytes as base64url: 32 characters. */
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

const newToken = () => randomBytes(24).toString("base64url");

/** Writes a whole owner-only file or nothing: a reader never sees half a token. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  // The mode given to writeFileSync is filtered by the umask and ignored for an existing file.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The access token when LOOP_TOKEN is not set: made once and kept in `<LOOP_DB_PATH>.token`
 * (0600), so a restart keeps every open tab signed in. An in-memory database keeps nothing: a new
 * token per start. A file that does not hold a token this server made is replaced, with a warning.
 */
export function keptToken(dbPath: string, warn: (message: string) => void): string {
  if (dbPath === ":memory:") return newToken();
  const path = stateFiles(dbPath).token;
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (text !== undefined && TOKEN.test(text)) {
    chmodSync(path, 0o600);
    return text;
  }
  if (text !== undefined)
    warn(`${path} does not hold a valid token; a new one was made (open tabs must sign in again)`);
  const token = newToken();
  writePrivate(path, `${token}\n`);
  return token;
}

/** Tells `pnpm loop` where this server listens (`<LOOP_DB_PATH>.server.json`, 0600). */
export function writeServerInfo(dbPath: string, info: ServerInfo): void {
  if (dbPath === ":memory:") return;
  writePrivate(stateFiles(dbPath).server, `${JSON.stringify(info, null, 2)}\n`);
}

/** Removes the file on a clean stop, unless another server has written its own since. */
export function removeServerInfo(dbPath: string, pid = process.pid): void {
  if (dbPath === ":memory:") return;
  const path = stateFiles(dbPath).server;
  try {
    if ((JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown }).pid !== pid) return;
  } catch {
    // Missing or unreadable: nothing of ours to remove (an unreadable one is not ours either).
    return;
  }
  rmSync(path, { force: true });
}
