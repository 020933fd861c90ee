import { readFileSync } from "node:fs";
import type { AgentHealth, LimitsResponse } from "@loop/shared";
import type { FastifyPluginAsync } from "fastify";

export type HealthProbe = (agent: "claude" | "codex", bin: string) => Promise<AgentHealth>;

/** The server package's version (npm_package_version is only set under `pnpm run`). */
const VERSION = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Caches CLI probes briefly: `--version` and the login check spawn processes. */
const CACHE_MS = 30_000;

export const healthRoutes: FastifyPluginAsync<{ probe?: HealthProbe; warm?: boolean | undefined }> = async (
  app,
  opts,
) => {
  const { config, orchestrator, repos } = app;
  const probe: HealthProbe =
    opts.probe ?? (async (agent, bin) => (await import("@loop/core")).probeAgent(agent, bin));
  // A CLI newer than the one the compatibility suite passed with may have changed a format or a flag.
  const withTested = async (agent: "claude" | "codex", h: AgentHealth): Promise<AgentHealth> => {
    const { TESTED_VERSIONS, newerThanTested } = await import("@loop/core");
    const newer = newerThanTested(agent, h.version);
    return { ...h, testedVersion: TESTED_VERSIONS[agent], ...(newer && { newerThanTested: newer }) };
  };
  let cached: { at: number; value: Promise<{ claude: AgentHealth; codex: AgentHealth }> } | undefined;

  const agents = () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const value = Promise.all([
        probe("claude", config.claudeBin).then((h) => withTested("claude", h)),
        probe("codex", config.codexBin).then((h) => withTested("codex", h)),
      ]).then(([claude, codex]) => ({ claude, codex }));
      cached = { at: Date.now(), value };
      value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };

  // The dashboard's first request: probing while the server finishes starting saves its wait.
  if (opts.warm) agents().catch(() => undefined);

  app.get("/health", async () => ({
    ok: true as const,
    version: VERSION,
    agents: await agents(),
    queue: orchestrator.stats(),
    defaults: { maxIterations: config.maxIterations },
    eventStreams: app.eventStreams.size,
    limits: repos.limits.list(),
  }));

  /** The latest subscription windows per agent (claude's rate_limit_event), and the hold threshold. */
  app.get(
    "/limits",
    async (): Promise<LimitsResponse> => ({
      windows: repos.limits.list(),
      pauseAtUtilization: config.pauseAtUtilization,
    }),
  );
};
