import { readFileSync } from "node:fs";
import { ServerInfo, stateFiles } from "@loop/shared";
import type { CliEnv } from "./config.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface Server {
  url: string;
  token: string;
}

const START_HINT = "start it with `pnpm start`";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's process.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(EXIT.unreachable, `cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * Where the server is and its token, without flags: LOOP_URL / LOOP_TOKEN if set, else the
 * `<LOOP_DB_PATH>.server.json` the running server wrote (a file whose pid is gone is stale: that
 * server is not running), else the kept `<LOOP_DB_PATH>.token` for the token.
 */
export function findServer(env: CliEnv): Server {
  const files = stateFiles(env.dbPath);
  const text = env.dbPath === ":memory:" ? undefined : readText(files.server);
  let info: ServerInfo | undefined;
  if (text !== undefined) {
    const r = ServerInfo.safeParse(
      (() => {
        try {
          return JSON.parse(text);
        } catch {
          return undefined;
        }
      })(),
    );
    if (!r.success && !env.url)
      throw new CliError(EXIT.unreachable, `${files.server} is not a loop server file`);
    info = r.success ? r.data : undefined;
  }
  if (!env.url) {
    if (!info) {
      throw new CliError(
        EXIT.unreachable,
        `loop server is not running at http://127.0.0.1:${env.port} — ${START_HINT}`,
      );
    }
    if (!alive(info.pid)) {
      throw new CliError(
        EXIT.unreachable,
        `loop server is not running: ${files.server} is stale (its server, pid ${info.pid}, has exited) — ${START_HINT}`,
      );
    }
  }
  const url = env.url ?? info!.url;
  const token = env.token ?? info?.token ?? readText(files.token)?.trim();
  if (!token) {
    throw new CliError(
      EXIT.unreachable,
      `no token for ${url}: set LOOP_TOKEN (the token the server printed)`,
    );
  }
  return { url, token };
}

export interface Api {
  server: Server;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A non-JSON answer (a patch) as text. */
  text(path: string): Promise<string>;
}

/** JSON calls with the bearer token; server errors become CliErrors with the server's message. */
export function api(server: Server, fetchImpl: typeof fetch = fetch): Api {
  const call = async <T>(method: string, path: string, body?: unknown, asText = false): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.token}`,
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new CliError(
        EXIT.unreachable,
        `loop server is not running at ${server.url} — ${START_HINT}${cause(e)}`,
      );
    }
    if (asText && res.ok) return (await res.text()) as T;
    const json = (await res.json().catch(() => undefined)) as
      | { error?: { code?: string; message?: string } }
      | undefined;
    if (res.status === 401) {
      throw new CliError(
        EXIT.unreachable,
        `the server at ${server.url} refused the token (set LOOP_TOKEN to the one it printed)`,
      );
    }
    if (!res.ok) {
      const e = json?.error;
      throw new CliError(
        EXIT.error,
        e?.message ? `${e.message} (${e.code})` : `HTTP ${res.status} from ${path}`,
      );
    }
    return json as T;
  };
  return {
    server,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    text: (path) => call<string>("GET", path, undefined, true),
  };
}

const cause = (e: unknown) => {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code && code !== "ECONNREFUSED" ? ` (${code})` : "";
};
