import type { AgentErrorKind, ParsedLine, Usage } from "@loop/shared";
import type { RateLimitInfo } from "./rate-limit.ts";

export interface AgentRunOptions {
  bin: string;
  extraArgs: readonly string[];
  prompt: string;
  cwd: string;
  timeoutMs: number;
  idleTimeoutMs?: number | undefined;
  graceMs?: number | undefined;
  /** How long an agent may take to exit after its answer before its tree is stopped (it still succeeds). */
  exitGraceMs?: number | undefined;
  signal?: AbortSignal | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** The run's environment marker (see runner/sweep.ts). */
  marker?: string | undefined;
  /** Longest output line parsed whole (the output cap); longer ones reach onLine in pieces. */
  maxLineChars?: number | undefined;
  onStart?(info: { pid: number | undefined; argv: string[] }): void;
  onLine(stream: "stdout" | "stderr", line: string, parsed?: ParsedLine): void;
  /** The text being written so far (claude's partial messages): live only, not an output line. */
  onPartial?(textSoFar: string): void;
}

export type AgentOutcome =
  | {
      ok: true;
      output: string;
      /** Something a person should know although the run succeeded (shown as a task.warning). */
      warning?: string;
      /** This run's usage (only its own agent's side is non-zero). */
      usage: Usage;
      sessionId: string | null;
      /** Subscription windows the agent reported during the run, latest per window. */
      rateLimits?: RateLimitInfo[];
      exitCode: number | null;
      durationMs: number;
      pid: number | undefined;
    }
  | {
      ok: false;
      errorKind: AgentErrorKind;
      error: string;
      usage: Usage | null;
      exitCode: number | null;
      durationMs: number;
      pid: number | undefined;
      resetsAt?: string | null;
      rateLimits?: RateLimitInfo[];
      /** The session asked to be continued is gone (the loop starts a new one, with the full prompt). */
      sessionMissing?: boolean;
    };
