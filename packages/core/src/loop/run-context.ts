import type { IterationPatch, Repositories, TaskPatch } from "@loop/db";
import type { LoopEventType, Task } from "@loop/shared";
import type { Agents } from "../agents/roles.ts";
import type { ArtifactStore } from "../artifacts.ts";
import type { EventBus, EventData } from "../events.ts";
import type { Settings } from "../settings.ts";

/**
 * What every step of a run shares. This file imports nothing from the steps or from task-run.ts:
 * task-run.ts builds one RunContext and hands it to each step (agent-step, changes-step,
 * review-step, verdict-step, session), which import only this file. The halls go one way.
 */

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RunDeps {
  repos: Repositories;
  bus: EventBus;
  settings: Settings;
  artifacts: ArtifactStore;
  log: Logger;
  /** Aborted when the server closes: endless retries of a final write give up then. */
  closing: AbortSignal;
  /** The task's worker and reviewer (the loop never asks which agent plays which). */
  agents: Agents;
}

/** One run of one task, as its steps see it. */
export interface RunContext {
  deps: RunDeps;
  /** The task as last written (the run replaces it after each write, so read it each time). */
  readonly task: Task;
  readonly taskId: string;
  /** Where the agents run: the task's directory, or its place in the task's worktree. */
  readonly workingDir: string;
  /** The run's own signal: aborted by a cancel, a server stop or a storage fault. */
  readonly signal: AbortSignal;
  /** Stores and publishes one event of this task. */
  send<T extends LoopEventType>(type: T, data: EventData<T>, iteration: number | null): void;
  /** A state write that waits out another process's lock (asynchronously) for a while. */
  write<T>(fn: () => T): Promise<T>;
  /** Writes fields of the task's row (`persist`: until it succeeds), then sends task.updated with them. */
  updateTask(patch: TaskPatch, how?: "write" | "persist"): Promise<void>;
  /** Writes fields of iteration n, then sends iteration.updated with those the API shows. */
  updateIteration(n: number, patch: IterationPatch, how?: "write" | "persist"): Promise<void>;
}
