import { emptyUsage, type ParsedLine, type Usage } from "@loop/shared";
import { runProcess } from "../runner/index.ts";
import { clip, duration, isRetryNotice, num, runFailureMessage, tail, tryJson } from "./common.ts";
import type { AgentOutcome, AgentRunOptions } from "./types.ts";
import { detectUsageLimit } from "./usage-limit.ts";

/** Flags only (the prompt goes on stdin): `--allowedTools`-style flags would swallow a trailing prompt. */
export function claudeArgs(o: {
  permissionMode: string;
  extraArgs: readonly string[];
  resumeSessionId?: string;
}): string[] {
  return [
    "--print",
    "--output-format",
    "stream-json",
    "--verbose",
    // stream_event lines with the text as it is written: the log shows it growing (never stored).
    "--include-partial-messages",
    "--permission-mode",
    o.permissionMode,
    ...(o.resumeSessionId ? ["--resume", o.resumeSessionId] : []),
    ...o.extraArgs,
  ];
}

interface ResultLine {
  isError: boolean;
  text: string;
  subtype: string;
  apiErrorStatus: number | null;
  /** e.g. "usage_limit_reached" (2.1.332, on the result and the synthetic assistant line). */
  apiError: string | null;
  sessionId: string | null;
  usage: Usage;
}

/** A subscription window's state, from `rate_limit_event` lines or an API error's `rate_limit_info`. */
export interface RateLimitInfo {
  status: string;
  /** Unix seconds. */
  resetsAt: number | null;
  rateLimitType: string | null;
  /** Percent used, when claude says. */
  utilization: number | null;
}

/** Tolerant reader of `--output-format stream-json`: unknown types and fields are ignored. */
export class ClaudeStream {
  result: ResultLine | undefined;
  sessionId: string | null = null;
  lastText = "";
  /** The latest subscription rate-limit state claude reported. */
  rateLimit: RateLimitInfo | undefined;
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
        if (j.subtype === "api_retry") {
          return {
            kind: "retry",
            text: `API retry ${num(j.attempt)}/${num(j.max_retries)} (${String(j.error ?? j.error_status ?? "error")})`,
          };
        }
        if (j.subtype === "permission_denied") {
          const what = `${String(j.tool_name ?? "tool")}: ${String(j.message ?? j.decision_reason ?? "denied")}`;
          this.permissionDenials.push(what);
          return { kind: "warning", text: `permission denied · ${what}` };
        }
        return { kind: "system", text: String(j.subtype ?? "system") };
      case "stream_event": {
        // Deltas of the message being written: live only, the assistant line that follows has it all.
        const ev = (j.event ?? {}) as Record<string, unknown>;
        const delta = (ev.delta ?? {}) as Record<string, unknown>;
        if (ev.type === "message_start" || ev.type === "content_block_start") this.partial = "";
        if (
          ev.type === "content_block_delta" &&
          delta.type === "text_delta" &&
          typeof delta.text === "string"
        ) {
          this.partial += delta.text;
          return { kind: "partial", text: delta.text };
        }
        return { kind: "partial", text: "" };
      }
      case "assistant": {
        this.partial = "";
        const msg = (j.message ?? {}) as { content?: unknown[]; model?: string };
        const params = (j.api_error_params ?? {}) as { rate_limit_info?: unknown };
        if (params.rate_limit_info) {
          // Same window as the rate_limit_event before it, without the utilization: keep that.
          const r = readRateLimit(params.rate_limit_info);
          this.rateLimit = { ...r, utilization: r.utilization ?? this.rateLimit?.utilization ?? null };
        }
        if (typeof j.error === "string") return { kind: "error", text: `API error: ${j.error}` };
        const parts = (Array.isArray(msg.content) ? msg.content : []).map((b) =>
          describeBlock(b as Record<string, unknown>),
        );
        const texts = parts.filter((p): p is ParsedLine => p !== undefined);
        const text = texts.find((p) => p.kind === "text");
        if (text) this.lastText = text.text;
        return texts.length === 1
          ? texts[0]
          : texts.length
            ? { kind: texts[0]!.kind, text: texts.map((t) => t.text).join("\n") }
            : undefined;
      }
      case "user": {
        const msg = (j.message ?? {}) as { content?: unknown[] };
        const block = (Array.isArray(msg.content) ? msg.content : []).find(
          (b) => (b as Record<string, unknown>)?.type === "tool_result",
        ) as Record<string, unknown> | undefined;
        if (!block) return undefined;
        return { kind: "tool_result", text: clip(contentText(block.content), 500) };
      }
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
        const cost = usage.costUsd === null ? "" : ` · $${usage.costUsd.toFixed(4)}`;
        return {
          kind: this.result.isError ? "error" : "result",
          text: `${this.result.isError ? "error" : "result"}${cost}: ${clip(this.result.text || this.result.subtype, 1000)}`,
        };
      }
      case "rate_limit_event": {
        this.rateLimit = readRateLimit(j.rate_limit_info);
        return { kind: "rate_limit", text: describeRateLimit(this.rateLimit) };
      }
      default:
        return undefined;
    }
  }
}

/**
 * The result line's usage. When a run stops early (error_max_budget_usd in 2.1.332) `usage` is all
 * zeros and the tokens are only in `modelUsage` (per model): add those up instead.
 */
function resultUsage(j: Record<string, unknown>): Usage {
  const u = (j.usage ?? {}) as Record<string, unknown>;
  const usage: Usage = {
    ...emptyUsage(),
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(u.cache_read_input_tokens),
    cacheWriteTokens: num(u.cache_creation_input_tokens),
    costUsd: typeof j.total_cost_usd === "number" ? j.total_cost_usd : null,
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
 * `rate_limit_info` of a rate_limit_event. 2.1.332 puts the window's own status and its utilization
 * (a 0–1 fraction) under `unifiedWindows.<type>`, next to a top-level status that stays "allowed"
 * while the window warns; older builds had `utilization` (0–100) at the top. Every field optional.
 */
function readRateLimit(info: unknown): RateLimitInfo {
  const i = (info && typeof info === "object" ? info : {}) as Record<string, unknown>;
  const type = typeof i.rateLimitType === "string" ? i.rateLimitType : null;
  const windows = (
    i.unifiedWindows && typeof i.unifiedWindows === "object" ? i.unifiedWindows : {}
  ) as Record<string, Record<string, unknown> | undefined>;
  const w = type ? windows[type] : undefined;
  const status =
    typeof w?.status === "string" && i.status !== "rejected" ? w.status : String(i.status ?? "unknown");
  let utilization: number | null = null;
  if (typeof w?.utilization === "number") utilization = Math.round(w.utilization * 1000) / 10;
  else if (typeof i.utilization === "number") utilization = i.utilization;
  const resetsAt =
    typeof i.resetsAt === "number" ? i.resetsAt : typeof w?.resetsAt === "number" ? w.resetsAt : null;
  return { status, resetsAt, rateLimitType: type, utilization };
}

function describeRateLimit(r: RateLimitInfo): string {
  return [
    `rate limit ${r.status}`,
    r.rateLimitType,
    r.utilization === null ? null : `${r.utilization}% used`,
    r.resetsAt === null ? null : `resets ${new Date(r.resetsAt * 1000).toISOString()}`,
  ]
    .filter(Boolean)
    .join(" · ");
}

function contentText(c: unknown): string {
  if (typeof c === "string") return c;
  if (Array.isArray(c))
    return c.map((x) => (typeof x === "object" && x && "text" in x ? String(x.text) : "")).join("\n");
  return "";
}

function describeBlock(b: Record<string, unknown> | undefined): ParsedLine | undefined {
  if (!b) return undefined;
  switch (b.type) {
    case "text":
      return { kind: "text", text: String(b.text ?? "") };
    case "thinking":
      return { kind: "thinking", text: clip(String(b.thinking ?? ""), 2000) };
    case "tool_use": {
      const input = (b.input ?? {}) as Record<string, unknown>;
      const summary =
        input.command ??
        input.file_path ??
        input.path ??
        input.pattern ??
        input.url ??
        input.description ??
        JSON.stringify(input);
      return { kind: "tool_use", text: `${String(b.name ?? "tool")}: ${clip(String(summary), 300)}` };
    }
    default:
      return undefined;
  }
}

/**
 * Runs `claude --print` on the prompt. Success only when a `result` line with is_error:false
 * arrived: exit codes lie (0 after SIGINT with no result at all).
 */
export async function runClaude(
  o: AgentRunOptions & { permissionMode: string; resumeSessionId?: string },
): Promise<AgentOutcome> {
  const args = claudeArgs(o);
  const stream = new ClaudeStream();
  let lastStdout = "";
  const run = await runProcess({
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
    isDone: () => stream.result !== undefined,
    exitGraceMs: o.exitGraceMs,
    maxLineChars: o.maxLineChars,
    onLine: (s, line) => {
      const parsed = s === "stdout" ? stream.push(line) : undefined;
      // A delta is progress, shown live, never stored: the complete message is stored once.
      if (parsed?.kind === "partial") {
        if (parsed.text) o.onPartial?.(stream.partial);
        return true;
      }
      if (s === "stdout" && line.trim()) lastStdout = line;
      o.onLine(s, line, parsed);
      return !isRetryNotice(s, line, parsed);
    },
  });
  const base = { exitCode: run.exitCode, durationMs: run.durationMs, pid: run.pid };
  const r = stream.result;
  const failed = runFailureMessage("claude", o.bin, run, o);
  if (failed) return { ok: false, ...failed, usage: r?.usage ?? null, ...base };

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
    if (rl && rl.status === "allowed_warning")
      notes.push(`claude's subscription is close to its limit: ${describeRateLimit(rl)}`);
    if (stream.permissionDenials.length > 0) {
      notes.push(
        `claude was refused ${stream.permissionDenials.length} tool call(s) (LOOP_CLAUDE_PERMISSION_MODE=${o.permissionMode}): ${clip(stream.permissionDenials.join("; "), 300)}`,
      );
    }
    return {
      ok: true,
      output,
      usage: r.usage,
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
    return {
      ok: false,
      errorKind: isLimit ? "usage_limit" : "agent_error",
      error: `claude exited with code ${code}: ${text}`,
      usage: r.usage,
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
