import { z } from "zod";

/**
 * `<LOOP_DB_PATH>.server.json`: how a running server is found without flags (`pnpm loop`). The
 * server writes it (owner-only) once it listens and removes it on a clean stop; a file whose `pid`
 * is gone was left by a server that crashed.
 */
export const ServerInfo = z.object({
  /** http://127.0.0.1:<port> */
  url: z.string().url(),
  token: z.string().min(16),
  pid: z.number().int().positive(),
  startedAt: z.string(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;

/** The files kept next to the database: its kept token, and the running server's address. */
export const stateFiles = (dbPath: string) => ({
  token: `${dbPath}.token`,
  server: `${dbPath}.server.json`,
});
