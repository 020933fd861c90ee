import type { ParsedLine } from "@loop/shared";
import { clip, num } from "./common.ts";

/**
 * Readable forms of claude's stream-json lines that carry no state for the run (the ClaudeStream
 * keeps the result, the session and the rate-limit window). Every line gets one, so the log never
 * shows a raw JSON line; `kind` picks the label the web shows.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** `system` lines other than init, api_retry and permission_denied (which the stream reads itself). */
export function describeSystem(j: Json): ParsedLine {
  const subtype = str(j.subtype);
  switch (subtype) {
    case "status":
      return { kind: "system", text: j.status ? `status: ${String(j.status)}` : "status cleared" };
    case "compact_boundary": {
      const m = obj(j.compact_metadata);
      const before = num(m.pre_tokens);
      return {
        kind: "system",
        text: `conversation compacted${m.trigger ? ` (${String(m.trigger)})` : ""}${before ? ` from ${before.toLocaleString("en-US")} tokens` : ""}`,
      };
    }
    case "hook_started":
    case "hook_progress":
    case "hook_response": {
      const name = str(j.hook_name) || str(j.hook_event) || "hook";
      const verb = subtype === "hook_started" ? "started" : subtype === "hook_progress" ? "running" : "done";
      const outcome = str(j.outcome) || (typeof j.exit_code === "number" ? `exit ${j.exit_code}` : "");
      return { kind: "system", text: `hook ${name} ${verb}${outcome ? ` (${outcome})` : ""}` };
    }
    case "task_started":
    case "task_progress":
    case "task_notification": {
      const what = str(j.description) || str(j.summary) || str(j.status) || str(j.task_id);
      const verb = { task_started: "started", task_progress: "progress", task_notification: "update" }[
        subtype
      ];
      return { kind: "system", text: `subagent ${verb}${what ? `: ${clip(what, 300)}` : ""}` };
    }
    case "files_persisted":
      return { kind: "system", text: "files saved" };
    case "local_command_output":
      return { kind: "system", text: clip(str(j.content) || "command output", 500) };
    default:
      return { kind: "system", text: subtype ? subtype.replace(/_/g, " ") : "system notice" };
  }
}

/** Text of a content array or string (tool results, user messages). */
export function contentText(c: unknown): string {
  if (typeof c === "string") return c;
  if (Array.isArray(c))
    return c
      .map((x) => {
        const b = obj(x);
        if (typeof b.text === "string") return b.text;
        return b.type === "image" ? "[image]" : "";
      })
      .filter(Boolean)
      .join("\n");
  return "";
}

/** One block of an assistant message; undefined for a block with nothing to show. */
export function describeBlock(b: Json): ParsedLine | undefined {
  switch (b.type) {
    case "text":
      return { kind: "text", text: str(b.text) };
    case "thinking":
      return { kind: "thinking", text: clip(str(b.thinking), 2000) || "thinking…" };
    case "redacted_thinking":
      return { kind: "thinking", text: "(thinking not shown)" };
    case "tool_use":
    case "server_tool_use":
    case "mcp_tool_use": {
      const input = obj(b.input);
      const summary =
        input.command ??
        input.file_path ??
        input.path ??
        input.pattern ??
        input.url ??
        input.query ??
        input.description ??
        JSON.stringify(input);
      return { kind: "tool_use", text: `${str(b.name) || "tool"}: ${clip(String(summary), 300)}` };
    }
    case "tool_result":
    case "web_search_tool_result":
    case "mcp_tool_result":
      return toolResult(b);
    default:
      return undefined;
  }
}

function toolResult(b: Json): ParsedLine {
  const text = clip(contentText(b.content).trim(), 500);
  const failed = b.is_error === true;
  return { kind: "tool_result", text: `${failed ? "failed: " : ""}${text || "(no output)"}` };
}

/** A `user` line: a tool's result, an interruption, or text sent to claude. */
export function describeUser(j: Json): ParsedLine {
  const content = obj(j.message).content;
  const blocks = Array.isArray(content) ? content.map(obj) : [];
  const results = blocks.filter((b) => b.type === "tool_result");
  if (results.length > 0) {
    const parts = results.map(toolResult);
    return { kind: "tool_result", text: parts.map((p) => p.text).join("\n") };
  }
  const text = contentText(content).trim();
  // claude writes this when it gets SIGINT (loop stops a run that way: cancel, timeout).
  if (/^\[Request interrupted by user( for tool use)?\]$/.test(text))
    return { kind: "interrupted", text: "claude was interrupted: the run was stopped" };
  return { kind: "user", text: clip(text, 500) || "(empty message)" };
}

/** A `stream_event` (partial output with --include-partial-messages): the delta's text, if any. */
export function describeStreamEvent(j: Json): ParsedLine {
  const e = obj(j.event);
  const delta = obj(e.delta);
  switch (e.type) {
    case "content_block_delta":
      if (typeof delta.text === "string") return { kind: "partial", text: delta.text };
      if (typeof delta.thinking === "string") return { kind: "partial", text: delta.thinking };
      if (typeof delta.partial_json === "string")
        return { kind: "partial", text: `tool input: ${clip(delta.partial_json, 300)}` };
      return { kind: "partial", text: "…" };
    case "content_block_start": {
      const block = obj(e.content_block);
      return {
        kind: "partial",
        text: block.type === "tool_use" ? `calling ${str(block.name) || "a tool"}…` : "writing…",
      };
    }
    case "message_start":
      return { kind: "partial", text: "message started" };
    case "message_delta":
      return { kind: "partial", text: str(delta.stop_reason) ? `stopped: ${str(delta.stop_reason)}` : "…" };
    case "message_stop":
      return { kind: "partial", text: "message done" };
    case "content_block_stop":
      return { kind: "partial", text: "block done" };
    default:
      return { kind: "partial", text: str(e.type).replace(/_/g, " ") || "…" };
  }
}

/** Lines of other types (tool_progress, auth_status, …, or ones newer than this build). */
export function describeOther(j: Json): ParsedLine {
  const type = str(j.type);
  switch (type) {
    case "tool_progress":
      return {
        kind: "system",
        text: `${str(j.tool_name) || "tool"} running${typeof j.elapsed_time_seconds === "number" ? ` (${Math.round(j.elapsed_time_seconds)} s)` : ""}`,
      };
    case "tool_use_summary":
      return { kind: "system", text: clip(str(j.summary) || "tool summary", 500) };
    case "auth_status":
      return {
        kind: j.error ? "warning" : "system",
        text: `signing in${j.error ? `: ${String(j.error)}` : j.isAuthenticating ? "…" : " done"}`,
      };
    case "keep_alive":
      return { kind: "system", text: "still working" };
    default:
      return { kind: "system", text: `${type ? type.replace(/[._]/g, " ") : "unknown"} event` };
  }
}

/** API retry notice: "API retry 2/10 (rate_limit, HTTP 429) in 4 s". */
export function describeRetry(j: Json): ParsedLine {
  const why = [str(j.error), typeof j.error_status === "number" ? `HTTP ${j.error_status}` : ""]
    .filter(Boolean)
    .join(", ");
  const delay = num(j.retry_delay_ms);
  return {
    kind: "retry",
    text: `API retry ${num(j.attempt)}/${num(j.max_retries)}${why ? ` (${why})` : ""}${delay ? ` in ${Math.round(delay / 1000)} s` : ""}`,
  };
}
