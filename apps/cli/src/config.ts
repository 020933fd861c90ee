import { isAbsolute, resolve } from "node:path";

/** What `pnpm loop` reads from the environment: once, here. */
export interface CliEnv {
  /** LOOP_URL: the server's address, instead of the server file's. */
  url: string | undefined;
  /** LOOP_TOKEN: the token, instead of the server file's. */
  token: string | undefined;
  /** LOOP_DB_PATH resolved as the server resolves it: the server file sits next to it. */
  dbPath: string;
  /** PORT: only for the message when no server is found. */
  port: string;
  /** Where the user ran `pnpm loop` (pnpm sets INIT_CWD; the script itself runs in the repo root). */
  initCwd: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CliEnv {
  const set = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  const db = set(env.LOOP_DB_PATH) ?? "./loop.db";
  return {
    url: set(env.LOOP_URL)?.replace(/\/+$/, ""),
    token: set(env.LOOP_TOKEN),
    dbPath: db === ":memory:" || isAbsolute(db) ? db : resolve(cwd, db),
    port: set(env.PORT) ?? "4170",
    initCwd: set(env.INIT_CWD) ?? cwd,
  };
}
