import type { AgentErrorKind, AgentName, ParsedLine } from "@loop/shared";
import type { RunOptions, RunResult } from "../runner/index.ts";
import type { AgentRunOptions } from "./types.ts";

const minutes = (ms: number) =>
  ms >= 60_000
    ? `${+(ms / 60_000).toFixed(1)} min`
    : ms >= 1000
      ? `${+(ms / 1000).toFixed(1)} s`
      : `${ms} ms`;

/** A person-readable reason for a run the runner had to end (timeout, idle, cancel, spawn). */
export function runFailureMessage(
  agent: AgentName,
  bin: string,
  run: RunResult,
  limits: { timeoutMs: number; idleTimeoutMs?: number | undefined },
): { errorKind: AgentErrorKind; error: string } | null {
  const f = run.failure;
  if (!f) return null;
  switch (f.kind) {
    case "timeout":
      return {
        errorKind: "timeout",
        error: `${agent} timed out after ${minutes(limits.timeoutMs)} (LOOP_ITERATION_TIMEOUT_MS); its process tree was stopped`,
      };
    case "idle_timeout":
      return {
        errorKind: "idle_timeout",
        error: `${agent} made no progress for ${minutes(limits.idleTimeoutMs ?? 0)} (no output, or only retry/reconnect notices; LOOP_IDLE_TIMEOUT_MS); its process tree was stopped`,
      };
    case "cancelled":
      return { errorKind: "cancelled", error: `${agent} was stopped before it finished` };
    case "spawn_failed":
      return {
        errorKind: "spawn_failed",
        error: f.message.startsWith("the working directory")
          ? `${agent} could not start: ${f.message}`
          : `${f.message}; is ${agent} installed? Set LOOP_${agent.toUpperCase()}_BIN to its path (now "${bin}")`,
      };
    default: {
      const unreachable: never = f.kind;
      throw new Error(`unknown failure ${unreachable}`);
    }
  }
}

/** The last non-empty lines of some output, for error messages. */
export function tail(text: string, maxChars = 600): string {
  const t = text.trim();
  return t.length <= maxChars ? t : `…${t.slice(-maxChars)}`;
}

export const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function tryJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(line);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const clip = (s: string, max = 2000) => (s.length <= max ? s : `${s.slice(0, max)}…`);

/**
 * A line that only says the CLI is retrying or waiting (codex prints "Reconnecting..." forever
 * without a network; claude prints api_retry notices): output, but not progress, so it does not
 * keep an idle run alive.
 */
export function isRetryNotice(stream: "stdout" | "stderr", line: string, parsed?: ParsedLine): boolean {
  if (parsed?.kind === "retry") return true;
  if (parsed?.kind === "error" && /^Reconnecting\b/i.test(parsed.text)) return true;
  return stream === "stderr" && /\b(reconnecting|failed to connect|retrying)\b/i.test(line);
}

/** "300 ms", "10 s": for sentences about short waits. */
export const duration = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** What every agent passes the runner the same way: its argv, the prompt on stdin and how the run is watched. */
export const processOptions = (
  o: AgentRunOptions,
  args: string[],
): Omit<RunOptions, "isDone" | "onLine"> => ({
  bin: o.bin,
  args,
  input: o.prompt,
  cwd: o.cwd,
  env: o.env,
  marker: o.marker,
  timeoutMs: o.timeoutMs,
  idleTimeoutMs: o.idleTimeoutMs,
  graceMs: o.graceMs,
  signal: o.signal,
  onSpawn: (pid) => o.onStart?.({ pid, argv: [o.bin, ...args] }),
  exitGraceMs: o.exitGraceMs,
  maxLineChars: o.maxLineChars,
});
