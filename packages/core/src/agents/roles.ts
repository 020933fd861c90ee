import type { AgentName } from "@loop/shared";
import type { AgentOutcome, AgentRunOptions } from "./types.ts";

/**
 * The two parts an agent can play in the loop. The loop asks a worker to work and a reviewer to
 * review; it never knows which agent plays which part (claude and codex each implement both, see
 * cli-agents.ts; tests use in-memory ones). Events and artifacts carry the agent's `name`.
 */
export type Role = "worker" | "reviewer";

/** Which agent plays each part of a task (task fields `worker` and `reviewer`). */
export interface Roles {
  worker: AgentName;
  reviewer: AgentName;
}

export const DEFAULT_ROLES: Roles = { worker: "claude", reviewer: "codex" };

/** One run: the prompt and how the process is watched; which binary and flags is the agent's business. */
export type AgentRequest = Omit<AgentRunOptions, "bin" | "extraArgs"> & {
  /** A session (claude's conversation, codex's thread) of this agent to continue, if any. */
  resumeSessionId?: string | undefined;
  /** What is left of the task's claude budget (dollars): claude stops inside the run at it; codex has none. */
  maxBudgetUsd?: number | undefined;
  /**
   * Shell commands a worker may run without asking (claude: `--allowedTools "Bash(<command>:*)"` each;
   * codex's workspace-write sandbox needs none).
   */
  allowedCommands?: readonly string[] | undefined;
  /** Where the agent may write its final message (codex `-o`); the loop writes the artifact again after. */
  outputFile: string;
};

export interface Agent {
  readonly name: AgentName;
  run(request: AgentRequest): Promise<AgentOutcome>;
}

/** Works on the task: may change the working directory; its outcome's sessionId can be continued. */
export interface Worker extends Agent {
  readonly role: "worker";
}

/** Reviews read-only: the first non-empty line of its output carries the STATUS. */
export interface Reviewer extends Agent {
  readonly role: "reviewer";
}

export interface Agents {
  worker: Worker;
  reviewer: Reviewer;
}

/** Given a task's roles, the agents that play them (the Orchestrator asks once per run). */
export type AgentsFactory = (roles: Roles) => Agents;

/** "Claude", "Codex": for sentences. */
export const agentLabel = (a: AgentName): string => (a === "claude" ? "Claude" : "Codex");
