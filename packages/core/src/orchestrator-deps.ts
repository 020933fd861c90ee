import type { Repositories } from "@loop/db";
import type { AgentGate } from "./agents/index.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./run/task-run.ts";
import type { Settings } from "./settings.ts";

/** The state key of a paused queue. */
export const QUEUE_PAUSED = "queue.paused";
export const silent: Logger = { info() {}, warn() {}, error() {} };

/** What an Orchestrator is built from. */
export interface OrchestratorDeps {
  repos: Repositories;
  bus: EventBus;
  settings: Partial<Settings>;
  logger?: Logger;
  /** No task starts while one of its agent CLIs is missing or broken: the queue waits (agents/availability.ts). */
  gate?: AgentGate;
}
