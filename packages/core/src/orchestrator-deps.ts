import type { Repositories } from "@loop/db";
import type { AgentName, Isolation, QueueResponse } from "@loop/shared";
import type { AgentGate, AgentsFactory, Roles } from "./agents/index.ts";
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
  /**
   * Given a task's roles, its worker and reviewer. Default: the real CLIs from the settings
   * (agents/cli-agents.ts); tests give in-memory agents.
   */
  agents?: AgentsFactory;
}

export interface SubmitInput extends Budgets {
  title: string;
  prompt: string;
  workingDir: string;
  maxIterations?: number | undefined;
  isolation?: Isolation | undefined;
  continueSession?: boolean | undefined;
  /** Default: the settings' worker and reviewer (see rolesFor). */
  worker?: AgentName | undefined;
  reviewer?: AgentName | undefined;
  /** Step mode: pause after every review that is not DONE. */
  pauseAfterIteration?: boolean | undefined;
  /** Default: LOOP_CHECK_COMMAND (none when unset). */
  checkCommand?: string | null | undefined;
  /** Default: LOOP_CHECK_TIMEOUT_MS. */
  checkTimeoutMs?: number | undefined;
  /** The task's own; LOOP_ALLOWED_COMMANDS and the check command are added when it runs. */
  allowedCommands?: string[] | undefined;
  /** A chain: start only once this task is done (contract: "Parallel tasks and chains"). */
  after?: string | null | undefined;
}

export type { QueueMove } from "@loop/shared";
/** GET /api/queue less `waiting` (the server adds it): queued tasks in the order they will run. */
export type QueueState = Omit<QueueResponse, "waiting">;

const other = (a: AgentName): AgentName => (a === "claude" ? "codex" : "claude");

/**
 * A new task's roles: its own, else the settings'. When it names only one, the other is the default
 * unless that is the same agent (then it is the other one): one agent never plays both parts.
 */
export function rolesFor(
  input: { worker?: AgentName | undefined; reviewer?: AgentName | undefined },
  defaults: Roles,
): Roles {
  const { worker, reviewer } = input;
  if (worker && reviewer) return { worker, reviewer };
  if (worker) return { worker, reviewer: defaults.reviewer === worker ? other(worker) : defaults.reviewer };
  if (reviewer) return { worker: defaults.worker === reviewer ? other(reviewer) : defaults.worker, reviewer };
  return { worker: defaults.worker, reviewer: defaults.reviewer };
}
