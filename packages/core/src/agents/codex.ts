import { unlink } from "node:fs/promises";
import { type CodexUsage, codexOnly, emptyCodexUsage, type ParsedLine } from "@loop/shared";
import { readRegularFile } from "../artifacts.ts";
import { runProcess } from "../runner/index.ts";
import { describeError, describeItem } from "./codex-lines.ts";
import { readCodexRateLimits } from "./codex-rollout.ts";
import { duration, isRetryNotice, num, processOptions, runFailureMessage, tail, tryJson } from "./common.ts";
import type { AgentOutcome, AgentRunOptions } from "./types.ts";
import { detectUsageLimit } from "./usage-limit.ts";

/**
 * `-` reads the prompt from stdin; `-o` writes the last message (empty on failure). `--sandbox`:
 * read-only for a reviewer, workspace-write for a worker. With `resume`,
 * `exec … resume <thread_id> -` continues that thread (the sandbox and `-C` are `exec`'s options, so
 * they stay before the subcommand).
 */
export function codexArgs(o: {
  cwd: string;
  outputFile: string;
  extraArgs: readonly string[];
  resume?: string | undefined;
  sandbox?: CodexSandbox | undefined;
}): string[] {
  return [
    "exec",
    "--sandbox",
    o.sandbox ?? "read-only",
    "--skip-git-repo-check",
    "--json",
    "-o",
    o.outputFile,
    "-C",
    o.cwd,
    ...o.extraArgs,
    ...(o.resume ? ["resume", o.resume] : []),
    "-",
  ];
}

export type CodexSandbox = "read-only" | "workspace-write";

/** Tolerant reader of `codex exec --json`: unknown types and fields are ignored. */
export class CodexStream {
  lastMessage = "";
  threadId: string | null = null;
  usage: CodexUsage | null = null;
  failure: string | null = null;
  lastError: string | null = null;
  completed = false;

  push(line: string): ParsedLine | undefined {
    const j = tryJson(line);
    if (!j) return undefined;
    switch (j.type) {
      case "thread.started":
        this.threadId = typeof j.thread_id === "string" ? j.thread_id : null;
        return { kind: "system", text: "codex started" };
      case "turn.started":
        return { kind: "system", text: "turn started" };
      case "item.started":
      case "item.updated":
      case "item.completed": {
        const item = (j.item ?? {}) as Record<string, unknown>;
        const phase =
          j.type === "item.started" ? "started" : j.type === "item.updated" ? "updated" : "completed";
        if (phase === "completed" && item.type === "agent_message" && typeof item.text === "string")
          this.lastMessage = item.text;
        return describeItem(item, phase);
      }
      case "turn.completed": {
        const u = (j.usage ?? {}) as Record<string, unknown>;
        this.completed = true;
        this.usage = {
          ...emptyCodexUsage(),
          inputTokens: num(u.input_tokens),
          cachedInputTokens: num(u.cached_input_tokens),
          // Since 0.171.0: the Responses API's input_tokens_details.cache_write_tokens.
          cacheWriteTokens: num(u.cache_write_input_tokens),
          outputTokens: num(u.output_tokens),
          reasoningTokens: num(u.reasoning_output_tokens),
        };
        const n = (v: number) => v.toLocaleString("en-US");
        const cached = this.usage.cachedInputTokens ? ` (${n(this.usage.cachedInputTokens)} cached)` : "";
        return {
          kind: "usage",
          text: `turn done · ${n(this.usage.inputTokens)} tokens in${cached} · ${n(this.usage.outputTokens)} out`,
        };
      }
      case "error":
        this.lastError = String(j.message ?? "error");
        return describeError(this.lastError);
      case "turn.failed": {
        const err = (j.error ?? {}) as Record<string, unknown>;
        this.failure = String(err.message ?? this.lastError ?? "turn failed");
        return { kind: "error", text: `turn failed: ${this.failure}` };
      }
      default:
        return { kind: "system", text: `${String(j.type ?? "unknown").replace(/[._]/g, " ")} event` };
    }
  }
}

/** Runs `codex exec` on the prompt (read-only unless `sandbox` says). Output: the -o file, else the last agent message. */
export async function runCodex(
  o: AgentRunOptions & {
    outputFile: string;
    resume?: string | undefined;
    sandbox?: CodexSandbox | undefined;
  },
): Promise<AgentOutcome> {
  const args = codexArgs(o);
  const stream = new CodexStream();
  // A link planted under the output's name would have codex write through it: remove it (not its target).
  await unlink(o.outputFile).catch(() => undefined);
  const run = await runProcess({
    ...processOptions(o, args),
    isDone: () => stream.completed || stream.failure !== null,
    onLine: (s, line) => {
      const parsed = s === "stdout" ? stream.push(line) : undefined;
      o.onLine(s, line, parsed);
      return !isRetryNotice(s, line, parsed);
    },
  });
  // codex prints none of its subscription windows; its rollout file has them (codex-rollout.ts).
  const env = { ...process.env, ...o.env };
  const rateLimits = stream.threadId ? await readCodexRateLimits(stream.threadId, env).catch(() => []) : [];
  const base = { exitCode: run.exitCode, durationMs: run.durationMs, pid: run.pid, rateLimits };
  const usage = stream.usage ? codexOnly(stream.usage) : null;
  const failed = runFailureMessage("codex", o.bin, run, o);
  if (failed) return { ok: false, ...failed, usage, ...base };

  const code = run.exitCode ?? (run.signal ? `signal ${run.signal}` : "unknown");
  // Answered, then lingered and was stopped: its exit code is the stop's, not a failure.
  const answered = run.lingered && stream.completed && stream.failure === null;
  if (!answered && (stream.failure !== null || run.exitCode !== 0)) {
    const stderrError = run.stderrTail
      .split("\n")
      .filter((l) => l.startsWith("ERROR:"))
      .at(-1)
      ?.slice(6)
      .trim();
    const text =
      stream.failure ?? stream.lastError ?? stderrError ?? (tail(run.stderrTail) || "no error message");
    const limit = detectUsageLimit(`${text}\n${run.stderrTail}`);
    return {
      ok: false,
      errorKind: limit ? "usage_limit" : stream.failure !== null ? "agent_error" : "exit_nonzero",
      error: `codex exited with code ${code}: ${text}`,
      usage,
      ...(limit && { resetsAt: limit.resetsAt?.toISOString() ?? null }),
      ...base,
    };
  }
  // No file (or not a plain one): fall back to the last agent message of the stream.
  let output = (await readRegularFile(o.outputFile).catch(() => undefined)) ?? "";
  if (!output.trim()) output = stream.lastMessage;
  if (!output.trim()) {
    return {
      ok: false,
      errorKind: "empty_output",
      error: "codex returned an empty review",
      usage,
      ...base,
    };
  }
  return {
    ok: true,
    output,
    usage: usage ?? codexOnly(emptyCodexUsage()),
    sessionId: stream.threadId,
    ...(answered && {
      warning: `codex did not exit within ${duration(o.exitGraceMs ?? 0)} after its review; its process tree was stopped`,
    }),
    ...base,
  };
}
