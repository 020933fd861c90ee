import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type AgentAvailability,
  type AgentProbe,
  claimDatabase,
  cliAgents,
  EventBus,
  Landing,
  Orchestrator,
  recover,
  resolveSettings,
  type Settings,
  type SweepMethod,
} from "@loop/core";
import { openRepositories, type Repositories } from "@loop/db";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { agentAvailability } from "../agents.ts";
import type { Config } from "../config.ts";

declare module "fastify" {
  interface FastifyInstance {
    repos: Repositories;
    bus: EventBus;
    orchestrator: Orchestrator;
    /** The agent CLIs' health: GET /api/health, the 503 agent_unavailable of the task routes, the held queue. */
    agents: AgentAvailability;
    /** Merging, squashing, pushing, patching and discarding worktree tasks' branches (routes/landing). */
    landing: Landing;
  }
}

export interface ServicesOptions {
  config: Config;
  /** Overrides of the orchestrator's settings (tests shorten waits). */
  settings?: Partial<Settings>;
  sweepMethod?: SweepMethod;
  /** Checks one agent CLI (tests pass a fast one); default probeAgent. */
  probe?: AgentProbe;
  /** The CLIs' health, made (and its first check begun) by server.ts before the app; made here otherwise. */
  agents?: AgentAvailability | undefined;
}

/**
 * Owns the database, the event bus and the orchestrator: opens them, claims the database for this
 * server, stops what an earlier server's runs left behind and pauses the tasks it left running —
 * all before the app is ready, so no route ever reports a stale `running` task. The worker starts
 * when the app is ready; on close the running agent is stopped (its task paused), then the
 * database is released and closed.
 */
export const servicesPlugin = fp<ServicesOptions>(
  async (app: FastifyInstance, opts) => {
    const { config } = opts;
    if (config.dbPath !== ":memory:") mkdirSync(dirname(config.dbPath), { recursive: true });
    mkdirSync(config.artifactsDir, { recursive: true });
    const repos = openRepositories(config.dbPath);
    let release: (() => void) | undefined;
    try {
      release = await claimDatabase(repos);
    } catch (err) {
      repos.handle.close();
      throw err;
    }
    const settings = { ...config, ...opts.settings };
    const bus = new EventBus(repos, { busyTimeoutMs: settings.dbBusyTimeoutMs });
    const log = app.log;
    const agents = opts.agents ?? agentAvailability(settings, opts.probe);
    const logger = {
      // The orchestrator's own progress notes are diagnostics: plugins/logging.ts says the lifecycle at info.
      info: (o: object, m?: string) => log.debug(o, m),
      warn: (o: object, m?: string) => log.warn(o, m),
      error: (o: object, m?: string) => log.error(o, m),
    };
    // The real CLIs in the roles each task names (claude works and codex reviews unless it says).
    const orchestrator = new Orchestrator({
      repos,
      bus,
      settings,
      gate: agents,
      agents: cliAgents(resolveSettings(settings)),
      logger,
    });
    const report = await recover(repos, bus, {
      graceMs: orchestrator.settings.killGraceMs,
      sweepMethod: opts.sweepMethod,
      settings: orchestrator.settings,
      artifacts: orchestrator.artifacts,
      log: logger,
    });
    if (report.stopped.length > 0 || report.paused.length > 0 || report.finished.length > 0) {
      log.warn(report, "recovered from an earlier server that did not stop cleanly");
    }
    app.decorate("repos", repos);
    app.decorate("bus", bus);
    app.decorate("orchestrator", orchestrator);
    app.decorate("agents", agents);
    const landing = new Landing({
      repos,
      bus,
      artifacts: orchestrator.artifacts,
      settings: orchestrator.settings,
    });
    app.decorate("landing", landing);
    app.addHook("onReady", async () => {
      orchestrator.start();
    });
    app.addHook("onClose", async () => {
      await orchestrator.shutdown();
      await bus.drain(2000);
      bus.close();
      release?.();
      repos.handle.close();
    });
  },
  { name: "services" },
);
