import type { AgentHealth, AgentName } from "@loop/shared";

export type AgentProbe = (agent: AgentName, bin: string) => Promise<AgentHealth>;
export type AgentsHealth = Record<AgentName, AgentHealth>;
export type HealthStatus = NonNullable<AgentHealth["status"]>;

const AGENTS: readonly AgentName[] = ["claude", "codex"];
const ENV = { claude: "LOOP_CLAUDE_BIN", codex: "LOOP_CODEX_BIN" } as const;

/**
 * ok, warning (it runs, but look: not logged in — API keys and custom providers need no login —,
 * newer than tested) or unavailable (missing, or its --version fails: a task would fail at it).
 */
export function healthStatus(h: AgentHealth): HealthStatus {
  if (!h.found || h.version === null) return "unavailable";
  if (h.loggedIn === false || h.newerThanTested) return "warning";
  return "ok";
}

/** Why an unavailable CLI cannot run: "codex not found at /usr/bin/codex (set LOOP_CODEX_BIN)". */
export function unavailableReason(agent: AgentName, h: AgentHealth): string {
  if (!h.found) return `${agent} not found at ${h.bin} (install it or set ${ENV[agent]})`;
  const why = h.error ? `: ${h.error.length > 200 ? `${h.error.slice(0, 200)}…` : h.error}` : "";
  return `${agent} at ${h.bin} does not work${why}`;
}

/** The worker's check before it starts a task (see Orchestrator). */
export interface AgentGate {
  /**
   * Resolves true once every agent CLI is available; false as soon as `still()` is false (nothing
   * queued any more, the queue paused, the server stopping). While it waits, `waiting` says why.
   */
  ready(still: () => boolean): Promise<boolean>;
  readonly waiting: string | null;
}

/**
 * The agent CLIs' health, shared by GET /api/health, the routes that queue work and the worker, so
 * they never disagree. Probes spawn processes: a result is reused for `intervalMs`; a bad one is
 * checked again at once when someone asks whether work may be queued (a CLI just installed counts).
 */
export class AgentAvailability implements AgentGate {
  private readonly probe: AgentProbe;
  private readonly bins: Record<AgentName, string>;
  readonly intervalMs: number;
  private cached: { at: number; value: Promise<AgentsHealth> } | undefined;
  waiting: string | null = null;

  constructor(opts: { probe: AgentProbe; bins: Record<AgentName, string>; intervalMs: number }) {
    this.probe = opts.probe;
    this.bins = opts.bins;
    this.intervalMs = opts.intervalMs;
  }

  /** Each CLI's health with its status, at most `maxAgeMs` old. */
  get(maxAgeMs = this.intervalMs): Promise<AgentsHealth> {
    if (!this.cached || Date.now() - this.cached.at > maxAgeMs) {
      const value = Promise.all(
        AGENTS.map(async (a) => {
          const h = await this.probe(a, this.bins[a]);
          return { ...h, status: healthStatus(h) };
        }),
      ).then(([claude, codex]) => ({ claude: claude!, codex: codex! }));
      const entry = { at: Date.now(), value };
      this.cached = entry;
      value.catch(() => {
        if (this.cached === entry) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  /** Why work cannot run now (the first unavailable CLI), or null. */
  async unavailable(opts: { recheck?: boolean } = {}): Promise<string | null> {
    let reason = firstProblem(await this.get());
    if (reason && opts.recheck) reason = firstProblem(await this.get(0));
    return reason;
  }

  async ready(still: () => boolean): Promise<boolean> {
    for (;;) {
      if (!still()) return this.settle(false);
      const reason = firstProblem(await this.get());
      if (!reason) return this.settle(true);
      this.waiting = `waiting: ${reason}`;
      // Checked again every intervalMs; `still` is looked at often so a stop is not held up.
      const until = Date.now() + this.intervalMs;
      while (Date.now() < until && still()) await new Promise((r) => setTimeout(r, 50));
      if (still()) await this.get(0);
    }
  }

  private settle(ok: boolean): boolean {
    this.waiting = null;
    return ok;
  }
}

function firstProblem(agents: AgentsHealth): string | null {
  for (const a of AGENTS)
    if (healthStatus(agents[a]) === "unavailable") return unavailableReason(a, agents[a]);
  return null;
}
