import type { ParsedLine } from "@loop/shared";
import { clip } from "./common.ts";

/**
 * Readable forms of the items of `codex exec --json` (item.started / item.updated / item.completed).
 * Every item gets one, so the log never shows a raw JSON line; `kind` picks the label the web shows.
 */

type Json = Record<string, unknown>;
export type ItemPhase = "started" | "updated" | "completed";
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);

const CHANGE_MARK: Record<string, string> = { add: "added", delete: "deleted", update: "changed" };

export function describeItem(item: Json, phase: ItemPhase): ParsedLine {
  const done = phase === "completed";
  const failed = item.status === "failed" || item.status === "declined";
  switch (item.type) {
    case "agent_message":
      return done
        ? { kind: "text", text: str(item.text) || "(empty message)" }
        : { kind: "text", text: str(item.text) || "writing…" };
    case "reasoning":
      return { kind: "thinking", text: clip(str(item.text), 2000) || "thinking…" };
    case "command_execution": {
      const cmd = clip(str(item.command), 300);
      if (!done) return { kind: "command", text: `$ ${cmd} …` };
      const code = typeof item.exit_code === "number" ? item.exit_code : "?";
      return {
        kind: "command",
        text: `$ ${cmd} (${item.status === "declined" ? "declined" : `exit ${code}`})`,
      };
    }
    case "file_change": {
      const changes = list(item.changes);
      const paths = changes.map((c) => str(c.path)).join(", ") || "files";
      if (failed) return { kind: "warning", text: `could not change ${paths}` };
      if (!done) return { kind: "file_change", text: `changing ${paths}…` };
      const what = changes.map((c) => `${CHANGE_MARK[str(c.kind)] ?? str(c.kind)} ${str(c.path)}`.trim());
      return { kind: "file_change", text: what.join(", ") || "files changed" };
    }
    case "mcp_tool_call": {
      const name = [str(item.server), str(item.tool)].filter(Boolean).join(".") || "tool";
      if (!done) return { kind: "tool_use", text: `${name} …` };
      const error = str(obj(item.error).message) || str(item.error);
      if (failed || error) return { kind: "warning", text: `${name} failed${error ? `: ${error}` : ""}` };
      const result = obj(item.result);
      const out = clip(
        list(result.content)
          .map((c) => str(c.text))
          .filter(Boolean)
          .join("\n")
          .trim(),
        500,
      );
      return { kind: "tool_result", text: `${name}: ${out || "done"}` };
    }
    case "web_search": {
      const query = str(item.query) || str(obj(item.action).query);
      return { kind: "tool_use", text: `web search${query ? `: ${query}` : ""}${done ? "" : " …"}` };
    }
    case "todo_list": {
      const items = list(item.items).map((t) => `${t.completed === true ? "✓" : "○"} ${str(t.text)}`);
      return { kind: "todo", text: items.length ? `plan: ${items.join(" · ")}` : "plan" };
    }
    // e.g. 0.171.0 on a model it has no metadata for: "Model metadata for `x` not found. …"
    case "error":
      return { kind: "warning", text: str(item.message) || "error" };
    default:
      return {
        kind: "system",
        text: `${str(item.type).replace(/_/g, " ") || "item"} ${done ? "done" : phase}`,
      };
  }
}

/** A top-level `error` event: a reconnect notice while codex retries, else an error. */
export function describeError(message: string): ParsedLine {
  return /^Reconnecting\b/i.test(message)
    ? { kind: "retry", text: message }
    : { kind: "error", text: message };
}
