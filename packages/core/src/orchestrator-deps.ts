import type { Repositories } from "@loop/db";
import type { Isolation, Task } from "@loop/shared";
import type { AgentGate } from "./agents/index.ts";
import type { EventBus } from "./events.ts";
import type { Logger } from "./loop/run-context.ts";
import type { Budgets } from "./loop/transitions.ts";
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

export interface SubmitInput extends Budgets {
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations?: number | undefined;
  isolation?: Isolation | undefined;
  continueSession?: boolean | undefined;
}

export type QueueMove = "top" | "up" | "down" | "bottom";
export interface QueueState {
  paused: boolean;
  /** Queued tasks in the order they will run. */
  tasks: Task[];
  running: Task | null;
}
