import type { AgentHealth, HealthResponse } from "@loop/shared";
import { api } from "../../lib/api.ts";
import { keys, queryClient } from "../../lib/cache.ts";
import { createStore } from "../../lib/store.ts";

/** The last GET /api/health (the top bar's query puts it here; the stream invalidates it when a task's status changes). */
export const health = createStore<HealthResponse | null>(null);

export const healthQuery = { queryKey: keys.health, queryFn: () => api.health() };

/** Reads it again now (focus: a CLI installed meanwhile); the cache shares one request between callers. */
export async function refreshHealth(): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: keys.health });
}

export interface AgentProblem {
  agent: "claude" | "codex";
  severity: "error" | "warning";
  message: string;
}

const ENV = { claude: "LOOP_CLAUDE_BIN", codex: "LOOP_CODEX_BIN" } as const;

/**
 * The server's verdict (status) when it gives one: only a missing or broken CLI is an error; one
 * that is only not logged in runs (API keys, custom providers) and is a warning.
 */
const unavailable = (h: AgentHealth) =>
  h.status ? h.status === "unavailable" : !h.found || h.version === null;

/** What is wrong with the configured CLIs, in words a user can act on. */
export function agentProblems(agents: HealthResponse["agents"]): AgentProblem[] {
  const out: AgentProblem[] = [];
  for (const agent of ["claude", "codex"] as const) {
    const h: AgentHealth = agents[agent];
    if (!h.found) {
      out.push({
        agent,
        severity: "error",
        message: `${agent} was not found at "${h.bin}"${h.error ? ` (${h.error})` : ""}. Install it or set ${ENV[agent]} to its path; loop notices by itself.`,
      });
    } else if (h.loggedIn === false && !unavailable(h)) {
      out.push({
        agent,
        severity: "warning",
        message: `${agent} (${h.version}) at "${h.bin}" is not logged in${h.error ? ` — ${h.error}` : ""}. Tasks still run; if they fail to authenticate, run \`${agent === "claude" ? "claude" : "codex login"}\` in a terminal once.`,
      });
    } else if (unavailable(h)) {
      out.push({
        agent,
        severity: "error",
        message: `${agent} at "${h.bin}" does not answer --version${h.error ? `: ${h.error}` : ""}.`,
      });
    }
    if (h.found && h.newerThanTested) {
      out.push({
        agent,
        severity: "warning",
        message: `${h.newerThanTested}: loop may not understand it yet. If tasks fail oddly, install the tested version or check for a newer loop.`,
      });
    }
  }
  return out;
}
