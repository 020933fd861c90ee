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
  /** error: tasks cannot run (red, stays); warning: a note about a setup that runs (dismissible). */
  severity: "error" | "warning";
  message: string;
  /** Identifies the note for "Dismiss": the same note stays dismissed, a new one shows. */
  key: string;
}

const ENV = { claude: "LOOP_CLAUDE_BIN", codex: "LOOP_CODEX_BIN" } as const;
const LOGIN = { claude: "`claude` in a terminal once and log in", codex: "`codex login` once" } as const;

/**
 * The server's verdict (status) when it gives one: only a missing or broken CLI is an error; one
 * that is only not logged in runs (API keys, custom providers) and is a warning.
 */
const unavailable = (h: AgentHealth) =>
  h.status ? h.status === "unavailable" : !h.found || h.version === null;

/**
 * What the login check itself said, when it adds something: the server's error quotes it
 * (`(codex login status: "Not logged in")`), and "not logged in" twice in a sentence is noise.
 */
function loginDetail(error: string | undefined): string {
  const m = /\(((?:claude auth status|codex login status)): "([^"]*)"\)/.exec(error ?? "");
  if (!m || /not logged in|loggedIn: false, authMethod: (none|\?)/i.test(m[2]!)) return "";
  return ` (${m[1]}: "${m[2]}")`;
}

/** The probe's own reason for a missing CLI, unless it only says "not found" again. */
const missingDetail = (error: string | undefined) =>
  error && !/not found|ENOENT/i.test(error) ? ` (${error})` : "";

/**
 * What is wrong with the configured CLIs, in words a user can act on, each thing said once (the
 * banner adds "loop notices by itself" once for all).
 */
export function agentProblems(agents: HealthResponse["agents"]): AgentProblem[] {
  const out: AgentProblem[] = [];
  const loggedOut: ("claude" | "codex")[] = [];
  for (const agent of ["claude", "codex"] as const) {
    const h: AgentHealth = agents[agent];
    if (!h.found) {
      out.push({
        agent,
        severity: "error",
        key: `${agent}:missing`,
        message: `${agent} was not found at "${h.bin}"${missingDetail(h.error)}. Install it or set ${ENV[agent]} to its path.`,
      });
    } else if (h.loggedIn === false && !unavailable(h)) {
      loggedOut.push(agent);
    } else if (unavailable(h)) {
      out.push({
        agent,
        severity: "error",
        key: `${agent}:broken`,
        message: `${agent} at "${h.bin}" does not answer --version${h.error ? `: ${h.error}` : ""}.`,
      });
    }
    if (h.found && h.newerThanTested) {
      out.push({
        agent,
        severity: "warning",
        key: `${agent}:newer:${h.version}`,
        message: `${h.newerThanTested}: loop may not understand it yet. If tasks fail oddly, install the tested version or check for a newer loop.`,
      });
    }
  }
  // One note for both: the same advice said once.
  const [first] = loggedOut;
  if (first) {
    const who = loggedOut.map((a) => `${a}${loginDetail(agents[a].error)}`).join(" and ");
    out.unshift({
      agent: first,
      severity: "warning",
      key: loggedOut.map((a) => `${a}:login:${agents[a].bin}`).join("+"),
      message: `${who} ${loggedOut.length > 1 ? "are" : "is"} not logged in. Fine with an API key or a custom provider; otherwise run ${loggedOut.map((a) => LOGIN[a]).join(", and ")}.`,
    });
  }
  return out;
}
