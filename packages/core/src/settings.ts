import type { AgentName } from "@loop/shared";

/**
 * Everything the orchestrator can be tuned with, and the one table of defaults. The server's
 * config (apps/server/src/config.ts) takes its defaults from here too.
 */
export interface Settings {
  claudeBin: string;
  codexBin: string;
  claudeArgs: readonly string[];
  codexArgs: readonly string[];
  claudePermissionMode: string;
  /** Wall-clock limit of one agent run. */
  iterationTimeoutMs: number;
  /** Stop an agent that made no progress this long (0 = off). */
  idleTimeoutMs: number;
  /** SIGINT → this long → SIGKILL. */
  killGraceMs: number;
  maxQueueDepth: number;
  defaultMaxIterations: number;
  artifactsDir: string;
  /** Stop with needs_attention when one finding stays open this many reviews in a row (0 = off). */
  stallIterations: number;
  /** How long an agent may take to exit after its answer before its tree is stopped. */
  exitGraceMs: number;
  /** Output stored per agent run; past it lines are counted, not stored. */
  maxOutputBytes: number;
  /** Wait used when a usage-limit message names no reset time (doubles per attempt, capped at 2 h). */
  usageLimitBackoffMs: number;
  /** Added to an announced reset time, so the first try after it is not refused again. */
  usageLimitMarginMs: number;
  /** Give up (failed) after this many usage-limit pauses in one run. */
  maxUsageLimitPauses: number;
  /** How long a write may wait for another process's lock on the database before it is a fault. */
  dbBusyTimeoutMs: number;
  /** Who works and who reviews when a task does not say (LOOP_WORKER, LOOP_REVIEWER); never the same. */
  worker: AgentName;
  reviewer: AgentName;
  /**
   * Templates replacing the default prompts (prompts/templates.ts), already checked: the worker's
   * (LOOP_CLAUDE_PROMPT_FILE) and the reviewer's (LOOP_CODEX_PROMPT_FILE), whichever agent plays it.
   */
  claudePromptTemplate?: string | undefined;
  codexPromptTemplate?: string | undefined;
  /** A task's claude budget (total_cost_usd) when it names none; null = no budget. */
  maxCostUsd: number | null;
  /** A task's Codex token budget (input + output) when it names none; null = no budget. */
  maxCodexTokens: number | null;
  /** Hold a new iteration while any subscription window is at or above this percent (null = off). */
  pauseAtUtilization: number | null;
  /** Extra environment for the agent processes (merged over the server's). */
  env?: NodeJS.ProcessEnv | undefined;
}

export const DEFAULTS = {
  claudeBin: "claude",
  codexBin: "codex",
  claudeArgs: [],
  codexArgs: [],
  claudePermissionMode: "acceptEdits",
  iterationTimeoutMs: 1_800_000,
  idleTimeoutMs: 600_000,
  killGraceMs: 3000,
  maxQueueDepth: 5,
  defaultMaxIterations: 10,
  artifactsDir: "./.loops",
  stallIterations: 3,
  exitGraceMs: 10_000,
  maxOutputBytes: 32 * 1024 * 1024,
  usageLimitBackoffMs: 15 * 60_000,
  usageLimitMarginMs: 30_000,
  maxUsageLimitPauses: 10,
  dbBusyTimeoutMs: 5000,
  maxCostUsd: null,
  maxCodexTokens: null,
  pauseAtUtilization: null,
  worker: "claude",
  reviewer: "codex",
} as const satisfies Omit<Settings, "env" | "claudePromptTemplate" | "codexPromptTemplate">;

export const resolveSettings = (s: Partial<Settings>): Settings => ({ ...DEFAULTS, ...s });
