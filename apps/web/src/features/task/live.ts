import type { AgentName } from "@loop/shared";
import type { LogLine } from "./model.ts";

/**
 * What a running agent is doing, from its last parsed line: "running tool Bash" after a tool call,
 * "running command" while a codex command runs (item.started), "writing" while text streams in,
 * otherwise "thinking" (waiting for the model).
 */
export function activity(agent: AgentName, last: LogLine | undefined, writing: boolean): string {
  if (writing) return "writing";
  const p = last?.parsed;
  if (p?.kind === "tool_use") return `running tool ${p.text.split(":")[0] || "tool"}`;
  if (agent === "codex" && p?.kind === "command" && p.text.endsWith("…")) return "running command";
  return "thinking";
}

/** "thinking · 42 s", "running tool Bash · 2 min 5 s". */
export function heartbeat(what: string, sinceMs: number): string {
  const s = Math.max(0, Math.floor(sinceMs / 1000));
  return `${what} · ${s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`}`;
}

/** The growing line: the tail the server sent, with an ellipsis when the text is longer. */
export const growingText = (text: string, length: number): string =>
  length > text.length ? `…${text}` : text;
