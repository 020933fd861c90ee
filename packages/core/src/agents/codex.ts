import { unlink } from "node:fs/promises";
import { emptyUsage, type ParsedLine, type Usage } from "@loop/shared";
import { readRegularFile } from "../artifacts.ts";
import { runProcess } from "../runner/index.ts";
import { clip, duration, isRetryNotice, num, runFailureMessage, tail, tryJson } from "./common.ts";
import type { AgentOutcome, AgentRunOptions } from "./types.ts";
import { detectUsageLimit } from "./usage-limit.ts";

/**
 * `-` reads the prompt from stdin; `-o` writes the last message (empty on failure). With `resume`,
 * `exec … resume <thread_id> -` continues that thread (the sandbox and `-C` are `exec`'s options, so
 * they stay before the subcommand).
 */
export function codexArgs(o: {
  cwd: string;
  outputFile: string;
  extraArgs: readonly string[];
  resume?: string | undefined;
}): string[] {
  return [
    "exec",
    "--sandbox",
    "read-only",
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

/** Tolerant reader of `codex exec --json`: unknown types and fields are ignored. */
export class CodexStream {
  lastMessage = "";
  threadId: string | null = null;
  usage: Usage | null = null;
  failure: string | null = null;
  lastError: string | null = null;
  completed = false;

  push(line: string): ParsedLine | undefined {
    const j = tryJson(line);
    if (!j) return undefined;
    switch (j.type) {
      case "thread.started":
        this.threadId = typeof j.thread_id === "string" ? j.thread_id : null;
        return { kind: "system", text: "review started" };
      case "item.started":
      case "item.completed": {
        const item = (j.item ?? {}) as Record<string, unknown>;
        const done = j.type === "item.completed";
        switch (item.type) {
          case "agent_message":
            if (done && typeof item.text === "string") this.lastMessage = item.text;
            return done ? { kind: "text", text: String(item.text ?? "") } : undefined;
          case "command_execution": {
            const cmd = clip(String(item.command ?? ""), 300);
            return done
              ? { kind: "command", text: `$ ${cmd} (exit ${item.exit_code ?? "?"})` }
              : { kind: "command", text: `$ ${cmd} …` };
          }
          case "reasoning":
            return done ? { kind: "thinking", text: clip(String(item.text ?? ""), 2000) } : undefined;
          // e.g. 0.171.0 on a model it has no metadata for: "Model metadata for `x` not found. …"
          case "error":
            return done ? { kind: "warning", text: String(item.message ?? "") } : undefined;
          default:
            return undefined;
        }
      }
      case "turn.completed": {
        const u = (j.usage ?? {}) as Record<string, unknown>;
        this.completed = true;
        this.usage = {
          ...emptyUsage(),
          inputTokens: num(u.input_tokens),
          outputTokens: num(u.output_tokens),
          cacheReadTokens: num(u.cached_input_tokens),
          // Since 0.171.0: the Responses API's input_tokens_details.cache_write_tokens.
          cacheWriteTokens: num(u.cache_write_input_tokens),
          reasoningTokens: num(u.reasoning_output_tokens),
        };
        return {
          kind: "usage",
          text: `tokens: ${this.usage.inputTokens} in / ${this.usage.outputTokens} out`,
        };
      }
      case "error":
        this.lastError = String(j.message ?? "error");
        return { kind: "error", text: this.lastError };
      case "turn.failed": {
        const err = (j.error ?? {}) as Record<string, unknown>;
        this.failure = String(err.message ?? this.lastError ?? "turn failed");
        return { kind: "error", text: `turn failed: ${this.failure}` };
      }
      default:
        return undefined;
    }
  }
}

/** Runs `codex exec` read-only on the review prompt. Output: the -o file, else the last agent message. */
export async function runCodex(
  o: AgentRunOptions & { outputFile: string; resume?: string | undefined },
): Promise<AgentOutcome> {
  const args = codexArgs(o);
  const stream = new CodexStream();
  // A link planted under the output's name would have codex write through it: remove it (not its target).
  await unlink(o.outputFile).catch(() => undefined);
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
    isDone: () => stream.completed || stream.failure !== null,
    exitGraceMs: o.exitGraceMs,
    maxLineChars: o.maxLineChars,
    onLine: (s, line) => {
      const parsed = s === "stdout" ? stream.push(line) : undefined;
      o.onLine(s, line, parsed);
      return !isRetryNotice(s, line, parsed);
    },
  });
  const base = { exitCode: run.exitCode, durationMs: run.durationMs, pid: run.pid };
  const failed = runFailureMessage("codex", o.bin, run, o);
  if (failed) return { ok: false, ...failed, usage: stream.usage, ...base };

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
      usage: stream.usage,
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
      usage: stream.usage,
      ...base,
    };
  }
  return {
    ok: true,
    output,
    usage: stream.usage ?? emptyUsage(),
    sessionId: stream.threadId,
    ...(answered && {
      warning: `codex did not exit within ${duration(o.exitGraceMs ?? 0)} after its review; its process tree was stopped`,
    }),
    ...base,
  };
}
