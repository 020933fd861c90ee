import { type ClaudeUsage, claudeOnly, emptyClaudeUsage, type ParsedLine } from "@loop/shared";
import { runProcess } from "../runner/index.ts";
import {
  contentText,
  describeBlock,
  describeOther,
  describeRetry,
  describeStreamEvent,
  describeSystem,
  describeUser,
} from "./claude-lines.ts";
import {
  clip,
  duration,
  isRetryNotice,
  num,
  processOptions,
  runFailureMessage,
  tail,
  tryJson,
} from "./common.ts";
import { describeRateLimit, type RateLimitInfo, readRateLimit } from "./rate-limit.ts";
import type { AgentOutcome, AgentRunOptions } from "./types.ts";
import { detectUsageLimit } from "./usage-limit.ts";

/** Flags only (the prompt goes on stdin): `--allowedTools`-style flags would swallow a trailing prompt. */
export function claudeArgs(o: {
  permissionMode: string;
  extraArgs: readonly string[];
  resumeSessionId?: string | undefined;
  /** What is left of the task's claude budget: `--max-budget-usd` stops one expensive run inside the CLI. */
  maxBudgetUsd?: number | undefined;
  /** Shell commands it may run without asking: `--allowedTools "Bash(<command>:*)"` (the command with any arguments). */
  allowedCommands?: readonly string[] | undefined;
}): string[] {
  return [
    "--print",
    "--output-format",
    "stream-json",
    "--verbose",
    // stream_event lines with the text as it is written: the log shows it growing (never stored).
    "--include-partial-messages",
    // Variadic: always followed by another flag (--permission-mode), so it takes nothing else.
    ...(o.allowedCommands?.length ? ["--allowedTools", ...o.allowedCommands.map(bashRule)] : []),
    "--permission-mode",
    o.permissionMode,
    ...(o.resumeSessionId ? ["--resume", o.resumeSessionId] : []),
    ...(o.maxBudgetUsd !== undefined ? ["--max-budget-usd", budgetArg(o.maxBudgetUsd)] : []),
    ...o.extraArgs,
  ];
}

/** claude's permission rule for a shell command and any arguments (claude 2.1.332: `Bash(npm test:*)`). */
export const bashRule = (command: string): string => `Bash(${command}:*)`;

/** Dollars for --max-budget-usd: at most 6 decimals, never 0 or below (claude refuses those). */
export const budgetArg = (usd: number): string => String(Math.max(0.000001, Math.round(usd * 1e6) / 1e6));

interface ResultLine {
  isError: boolean;
  text: string;
  subtype: string;
  apiErrorStatus: number | null;
  /** e.g. "usage_limit_reached" (2.1.332, on the result and the synthetic assistant line). */
  apiError: string | null;
  sessionId: string | null;
  usage: ClaudeUsage;
}

/** Tolerant reader of `--output-format stream-json`: unknown types and fields are ignored. */
export class ClaudeStream {
  result: ResultLine | undefined;
  sessionId: string | null = null;
  lastText = "";
  /** The latest subscription rate-limit state claude reported. */
  rateLimit: RateLimitInfo | undefined;
  /** The latest state of each window claude reported in this run (by rateLimitType). */
  readonly windows = new Map<string, RateLimitInfo>();
  /** Tool calls claude refused (a headless run cannot ask; acceptEdits refuses what needs approval). */
  readonly permissionDenials: string[] = [];
  /** The text block being written (stream_event text deltas); "" once its message is complete. */
  partial = "";

  push(line: string): ParsedLine | undefined {
    const j = tryJson(line);
    if (!j) return undefined;
    if (typeof j.session_id === "string") this.sessionId = j.session_id;
    switch (j.type) {
      case "system":
        if (j.subtype === "init")
          return { kind: "system", text: `session started · model ${String(j.model ?? "?")}` };
        if (j.subtype === "api_retry") return describeRetry(j);
        if (j.subtype === "permission_denied") {
          const what = `${String(j.tool_name ?? "tool")}: ${String(j.message ?? j.decision_reason ?? "denied")}`;
          this.permissionDenials.push(what);
          return { kind: "warning", text: `permission denied · ${what}` };
        }
        return describeSystem(j);
      case "stream_event": {
        // Deltas of the message being written: live only, the assistant line that follows has it all.
        const ev = (j.event ?? {}) as Record<string, unknown>;
        const delta = (ev.delta ?? {}) as Record<string, unknown>;
        if (ev.type === "message_start" || ev.type === "content_block_start") this.partial = "";
        if (
          ev.type === "content_block_delta" &&
          delta.type === "text_delta" &&
          typeof delta.text === "string"
        )
          this.partial += delta.text;
        return describeStreamEvent(j);
      }
      case "assistant": {
        this.partial = "";
        const msg = (j.message ?? {}) as { content?: unknown[]; model?: string };
        const params = (j.api_error_params ?? {}) as { rate_limit_info?: unknown };
        if (params.rate_limit_info) {
          // Same window as the rate_limit_event before it, without the utilization: keep that.
          const r = readRateLimit(params.rate_limit_info);
          this.noteRateLimit({ ...r, utilization: r.utilization ?? this.rateLimit?.utilization ?? null });
        }
        if (typeof j.error === "string") {
          const said = contentText(msg.content).trim();
          return { kind: "error", text: `API error (${j.error})${said ? `: ${clip(said, 1000)}` : ""}` };
        }
        const parts = (Array.isArray(msg.content) ? msg.content : []).map((b) =>
          describeBlock((b ?? {}) as Record<string, unknown>),
        );
        const texts = parts.filter((p): p is ParsedLine => p !== undefined);
        const text = texts.find((p) => p.kind === "text");
        if (text) this.lastText = text.text;
        return texts.length === 1
          ? texts[0]
          : texts.length
            ? { kind: texts[0]!.kind, text: texts.map((t) => t.text).join("\n") }
            : { kind: "text", text: "(empty message)" };
      }
      case "user":
        return describeUser(j);
      case "result": {
        const usage = resultUsage(j);
        // Error results without a `result` text (error_max_budget_usd, error_during_execution) say why in `errors`.
        const errors = Array.isArray(j.errors)
          ? j.errors.filter((e) => typeof e === "string").join("; ")
          : "";
        this.result = {
          isError: j.is_error === true,
          text: typeof j.result === "string" ? j.result : errors,
          subtype: String(j.subtype ?? ""),
          apiErrorStatus: typeof j.api_error_status === "number" ? j.api_error_status : null,
          apiError: typeof j.api_error === "string" ? j.api_error : null,
          sessionId: typeof j.session_id === "string" ? j.session_id : this.sessionId,
          usage,
        };
        return describeResult(this.result, j);
      }
      case "rate_limit_event": {
        const r = this.noteRateLimit(readRateLimit(j.rate_limit_info));
        return { kind: "rate_limit", text: describeRateLimit(r) };
      }
      default:
        return describeOther(j);
    }
  }

  private noteRateLimit(r: RateLimitInfo): RateLimitInfo {
    this.rateLimit = r;
    if (r.rateLimitType) this.windows.set(r.rateLimitType, r);
    return r;
  }
}

/** The last line: the final answer (with what it cost), or why the run failed. */
function describeResult(r: ResultLine, j: Record<string, unknown>): ParsedLine {
  const facts = [
    r.usage.costUsd ? `$${r.usage.costUsd.toFixed(4)}` : null,
    typeof j.num_turns === "number" ? `${j.num_turns} turn${j.num_turns === 1 ? "" : "s"}` : null,
    typeof j.duration_ms === "number" ? `${(j.duration_ms / 1000).toFixed(1)} s` : null,
  ].filter(Boolean);
  const tail = facts.length ? ` (${facts.join(" · ")})` : "";
  if (!r.isError) return { kind: "result", text: `${clip(r.text, 1000) || "(empty answer)"}${tail}` };
  // error_during_execution (SIGINT, a crash mid-turn) carries only a diagnostic for Anthropic.
  if (r.subtype === "error_during_execution" && (!r.text || r.text.startsWith("[ede_diagnostic]")))
    return { kind: "error", text: `claude stopped before it finished${tail}` };
  const why = r.text || r.subtype.replace(/_/g, " ");
  return { kind: "error", text: `claude stopped with an error: ${clip(why, 1000)}${tail}` };
}

/**
 * The result line's usage. When a run stops early (error_max_budget_usd in 2.1.332) `usage` is all
 * zeros and the tokens are only in `modelUsage` (per model): add those up instead.
 */
function resultUsage(j: Record<string, unknown>): ClaudeUsage {
  const u = (j.usage ?? {}) as Record<string, unknown>;
  const usage: ClaudeUsage = {
    ...emptyClaudeUsage(),
    costUsd: num(j.total_cost_usd),
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(u.cache_read_input_tokens),
    cacheWriteTokens: num(u.cache_creation_input_tokens),
    turns: num(j.num_turns),
    apiMs: num(j.duration_api_ms),
  };
  const tokens = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const models = j.modelUsage && typeof j.modelUsage === "object" ? Object.values(j.modelUsage) : [];
  if (tokens > 0 || models.length === 0) return usage;
  for (const m of models as Array<Record<string, unknown>>) {
    usage.inputTokens += num(m.inputTokens);
    usage.outputTokens += num(m.outputTokens);
    usage.cacheReadTokens += num(m.cacheReadInputTokens);
    usage.cacheWriteTokens += num(m.cacheCreationInputTokens);
  }
  return usage;
}

/**
 * Runs `claude --print` on the prompt. Success only when a `result` line with is_error:false
 * arrived: exit codes lie (0 after SIGINT with no result at all).
 */
export async function runClaude(
  o: AgentRunOptions & {
    permissionMode: string;
    resumeSessionId?: string | undefined;
    maxBudgetUsd?: number | undefined;
    allowedCommands?: readonly string[] | undefined;
  },
): Promise<AgentOutcome> {
  const args = claudeArgs(o);
  const stream = new ClaudeStream();
  let lastStdout = "";
  let sentPartial = 0;
  const run = await runProcess({
    ...processOptions(o, args),
    isDone: () => stream.result !== undefined,
    onLine: (s, line) => {
      const parsed = s === "stdout" ? stream.push(line) : undefined;
      // A delta is progress, shown live, never stored: the complete message is stored once.
      if (parsed?.kind === "partial") {
        // A new message or block starts over; only growth is sent.
        if (stream.partial.length < sentPartial) sentPartial = 0;
        if (stream.partial.length > sentPartial) {
          sentPartial = stream.partial.length;
          o.onPartial?.(stream.partial);
        }
        return true;
      }
      if (s === "stdout" && line.trim()) lastStdout = line;
      o.onLine(s, line, parsed);
      return !isRetryNotice(s, line, parsed);
    },
  });
  const base = {
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    pid: run.pid,
    rateLimits: [...stream.windows.values()],
  };
  const r = stream.result;
  const failed = runFailureMessage("claude", o.bin, run, o);
  if (failed) return { ok: false, ...failed, usage: r ? claudeOnly(r.usage) : null, ...base };

  const code = run.exitCode ?? (run.signal ? `signal ${run.signal}` : "unknown");
  if (r && !r.isError) {
    const notes: string[] = [];
    let output = r.text;
    // Some claude versions (2.1.83) sent an empty result text although the assistant answered.
    if (!output.trim() && stream.lastText.trim()) {
      output = stream.lastText;
      notes.push("claude's result line was empty; its last assistant message was used as its output");
    }
    if (run.lingered) {
      notes.push(
        `claude did not exit within ${duration(o.exitGraceMs ?? 0)} after its result; its process tree was stopped`,
      );
    }
    const rl = stream.rateLimit;
    if (rl && rl.status === "allowed_warning") notes.push(`claude's ${describeRateLimit(rl)}`);
    if (stream.permissionDenials.length > 0) {
      notes.push(
        `claude was refused ${stream.permissionDenials.length} tool call(s) (LOOP_CLAUDE_PERMISSION_MODE=${o.permissionMode}): ${clip(stream.permissionDenials.join("; "), 300)}`,
      );
    }
    return {
      ok: true,
      output,
      usage: claudeOnly(r.usage),
      sessionId: r.sessionId,
      ...(notes.length > 0 && { warning: notes.join("; ") }),
      ...base,
    };
  }
  if (r?.isError) {
    const text = r.text || `${r.subtype}${r.apiErrorStatus ? ` (HTTP ${r.apiErrorStatus})` : ""}`;
    const limit = detectUsageLimit(text);
    // 2.1.332 says so outright (api_error usage_limit_reached) and gives the reset as a timestamp.
    const rejected = stream.rateLimit?.status === "rejected" ? stream.rateLimit : undefined;
    const isLimit = limit !== null || r.apiError === "usage_limit_reached" || rejected !== undefined;
    const resetsAt = rejected?.resetsAt ? new Date(rejected.resetsAt * 1000) : (limit?.resetsAt ?? null);
    // --max-budget-usd reached: the run's cost is in the result (recorded), the task's budget is spent.
    const overBudget = r.subtype === "error_max_budget_usd";
    return {
      ok: false,
      errorKind: overBudget ? "budget_exceeded" : isLimit ? "usage_limit" : "agent_error",
      error: `claude exited with code ${code}: ${text}`,
      usage: claudeOnly(r.usage),
      ...(isLimit && { resetsAt: resetsAt?.toISOString() ?? null }),
      ...base,
    };
  }
  // No result line: a crash, a kill, a usage error (e.g. a bad flag), or SIGINT while waiting.
  const detail = tail(run.stderrTail) || tail(stream.lastText || lastStdout);
  const limit = detectUsageLimit(`${run.stderrTail}\n${lastStdout}`);
  if (limit) {
    return {
      ok: false,
      errorKind: "usage_limit",
      error: `claude exited with code ${code}: ${limit.message}`,
      usage: null,
      resetsAt: limit.resetsAt?.toISOString() ?? null,
      ...base,
    };
  }
  return {
    ok: false,
    errorKind: run.exitCode === 0 ? "no_result" : "exit_nonzero",
    error: `claude exited with code ${code} without a result line${detail ? `: ${detail}` : ""}`,
    usage: null,
    ...base,
  };
}
