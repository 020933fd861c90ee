import { readFileSync } from "node:fs";
import { ServerInfo, stateFiles } from "@loop/shared";
import { type ApiClient, type ApiError, createApiClient } from "@loop/shared/api-client";
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

/** The shared API client (packages/shared) bound to one server, and where that server is. */
export type Api = ApiClient & { server: Server };

/** The shared client with the bearer token; its failures become CliErrors with the server's message. */
export function api(server: Server): Api {
  const client = createApiClient({
    baseUrl: server.url,
    token: server.token,
    toError: (e) => cliError(e, server),
  });
  return { ...client, server };
}

/** Exit 3 when there is no server or it refused the token; exit 1 with the server's words otherwise. */
function cliError(e: ApiError, server: Server): CliError {
  if (e.code === "network_error") {
    return new CliError(
      EXIT.unreachable,
      `loop server is not running at ${server.url} — ${START_HINT}${cause(e)}`,
    );
  }
  if (e.status === 401) {
    return new CliError(
      EXIT.unreachable,
      `the server at ${server.url} refused the token (set LOOP_TOKEN to the one it printed)`,
    );
  }
  if (e.code === "http_error") return new CliError(EXIT.error, `HTTP ${e.status} from ${e.path}`);
  return new CliError(EXIT.error, `${e.message} (${e.code})`);
}

const cause = (e: ApiError) => {
  const code = (e.cause as { cause?: { code?: string } } | undefined)?.cause?.code;
  return code && code !== "ECONNREFUSED" ? ` (${code})` : "";
};
