import { readFileSync } from "node:fs";
import { allowedCommands } from "@loop/core";
import { type AgentHealth, HealthResponse, LimitsResponse } from "@loop/shared";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";

export type HealthProbe = (agent: "claude" | "codex", bin: string) => Promise<AgentHealth>;

/** The server package's version (npm_package_version is only set under `pnpm run`). */
const VERSION = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * The CLIs' health comes from app.agents (plugins/services.ts): the same checks that refuse tasks
 * (503 agent_unavailable) and hold the queue, cached for LOOP_HEALTH_INTERVAL_MS.
 */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config, orchestrator, agents, repos, landing } = app;
  app.get("/health", { schema: { response: { 200: HealthResponse } } }, async () => ({
    ok: true as const,
    version: VERSION,
    agents: await agents.get(),
    gh: await landing.ghHealthSoon(),
    queue: { ...orchestrator.stats(), ...(agents.waiting && { waiting: agents.waiting }) },
    defaults: {
      maxIterations: config.defaultMaxIterations,
      worker: config.worker,
      reviewer: config.reviewer,
    },
    eventStreams: app.eventStreams.size,
    liveEventStreams: [...app.eventStreams].filter((s) => s.live).length,
    limits: repos.limits.list(),
    // What a claude worker may do without asking, for a task that adds nothing of its own.
    permissions: {
      mode: config.claudePermissionMode,
      allowedCommands: allowedCommands({ allowedCommands: [], checkCommand: config.checkCommand }, config),
      checkCommand: config.checkCommand,
    },
  }));

  /** The latest subscription windows per agent (claude's rate_limit_event), and the hold threshold. */
  app.get("/limits", { schema: { response: { 200: LimitsResponse } } }, async () => ({
    windows: repos.limits.list(),
    pauseAtUtilization: config.pauseAtUtilization,
  }));
};
