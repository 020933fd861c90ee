import type { LogLine } from "./model.ts";

/** Lines longer than this show their start and a button for the rest: the browser stays responsive. */
export const CLIP_CHARS = 10_000;

/** What a line shows: the readable form of a parsed JSON event, or the raw line. */
export function displayText(line: LogLine, raw: boolean): string {
  if (!raw && line.parsed && line.kind !== "meta") return line.parsed.text;
  return line.text;
}

/** Indices of lines containing `query` (case-insensitive), in order; at most `limit`. */
export function findMatches(
  lines: readonly LogLine[],
  query: string,
  raw: boolean,
  limit = 50_000,
): number[] {
  const q = query.toLowerCase();
  if (!q) return [];
  const out: number[] = [];
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    if (displayText(lines[i]!, raw).toLowerCase().includes(q)) out.push(i);
  }
  return out;
}

/** Splits text around case-insensitive occurrences of query, for highlighting. */
export function splitHighlight(text: string, query: string): { text: string; hit: boolean }[] {
  if (!query) return [{ text, hit: false }];
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  const parts: { text: string; hit: boolean }[] = [];
  let from = 0;
  for (;;) {
    const at = lower.indexOf(q, from);
    if (at < 0) break;
    if (at > from) parts.push({ text: text.slice(from, at), hit: false });
    parts.push({ text: text.slice(at, at + q.length), hit: true });
    from = at + q.length;
  }
  if (from < text.length || parts.length === 0) parts.push({ text: text.slice(from), hit: false });
  return parts;
}

export interface ScrollMetrics {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
}

/** Within a few pixels of the end: sub-pixel layouts rarely land on exactly 0. */
export const isAtBottom = (m: ScrollMetrics, slack = 24): boolean =>
  m.scrollHeight - m.scrollTop - m.clientHeight <= slack;

/**
 * Follow-the-tail state after a scroll: reaching the bottom turns following on, scrolling up
 * turns it off, anything else (our own scroll to the end, content growing) keeps it.
 */
export function nextFollow(following: boolean, prevTop: number, m: ScrollMetrics): boolean {
  if (isAtBottom(m)) return true;
  if (m.scrollTop < prevTop - 1) return false;
  return following;
}

/** Index of the next (or previous) match relative to the current one, wrapping around. */
export function stepMatch(count: number, current: number, dir: 1 | -1): number {
  if (count === 0) return -1;
  if (current < 0) return dir === 1 ? 0 : count - 1;
  return (current + dir + count) % count;
}

/** Plain text of a whole log for the clipboard, raw or readable. */
export function logToText(lines: readonly LogLine[], raw: boolean): string {
  return lines.map((l) => displayText(l, raw)).join("\n");
}

/** The label (and its colour class) of each kind of parsed line the agents' parsers produce. */
const KIND_LABELS: Record<string, { label: string; tone: string }> = {
  text: { label: "message", tone: "text" },
  thinking: { label: "thinking", tone: "think" },
  tool_use: { label: "tool", tone: "tool" },
  command: { label: "command", tone: "tool" },
  file_change: { label: "files", tone: "tool" },
  tool_result: { label: "tool output", tone: "output" },
  result: { label: "answer", tone: "answer" },
  error: { label: "error", tone: "error" },
  warning: { label: "warning", tone: "warn" },
  retry: { label: "retry", tone: "warn" },
  rate_limit: { label: "limit", tone: "warn" },
  interrupted: { label: "stopped", tone: "warn" },
  usage: { label: "usage", tone: "muted" },
  todo: { label: "plan", tone: "muted" },
  system: { label: "system", tone: "muted" },
  partial: { label: "partial", tone: "muted" },
  user: { label: "input", tone: "muted" },
};

/** A short label for a parsed line's kind; a kind this build does not know shows its own name. */
export function kindLabel(kind: string): { label: string; tone: string } {
  return KIND_LABELS[kind] ?? { label: kind.replace(/_/g, " ").slice(0, 12) || "line", tone: "muted" };
}

/** The search box's status: "no matches", "3 of 12" (the current one), or "12 matches" before one is picked. */
export function matchCounter(count: number, current: number): string {
  if (count === 0) return "no matches";
  if (current < 0 || current >= count)
    return `${count.toLocaleString("en-US")} ${count === 1 ? "match" : "matches"}`;
  return `${(current + 1).toLocaleString("en-US")} of ${count.toLocaleString("en-US")}`;
}

/** An agent header's count: the agent's output lines, the numbers its log's gutter shows. */
export const lineCount = (n: number): string => `${n.toLocaleString("en-US")} ${n === 1 ? "line" : "lines"}`;

export type AgentState = "not started" | "running…" | "cancelled" | "interrupted" | "failed" | "finished";

/**
 * What an agent's header says: a run loop stopped on a cancel is "cancelled", never "failed". The
 * task's status has the last word: an agent with no finish while the task is not running was cut
 * off by a crash or a stop ("interrupted", never "running…"), and one stopped for a server stop of
 * a task that was not cancelled was interrupted, not cancelled.
 */
export function agentState(
  log: { started: unknown; finished: { ok: boolean; errorKind?: string | undefined } | null } | null,
  taskStatus?: string,
): AgentState {
  if (!log?.started) return "not started";
  if (!log.finished) return taskStatus === undefined || taskStatus === "running" ? "running…" : "interrupted";
  if (log.finished.ok) return "finished";
  if (log.finished.errorKind !== "cancelled") return "failed";
  return taskStatus === undefined || taskStatus === "cancelled" ? "cancelled" : "interrupted";
}

const ITERATION_STATES: Record<string, string> = {
  running: "in progress",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
  interrupted: "interrupted",
};

/**
 * What an iteration's header says when it has no verdict. The live view (built from every event)
 * is newer than the stored row the page fetched, so its state wins: "finished" when the latest
 * iteration.finished came after the latest iteration.started (a resumed iteration runs again).
 */
export function iterationState(
  live: { startedAt: string | null; finishedAt: string | null; outcome: { status: string } | null } | null,
  stored: string | null | undefined,
  taskStatus?: string,
): string {
  let status: string | null = stored ?? null;
  if (live?.outcome && (!live.startedAt || (live.finishedAt ?? "") >= live.startedAt))
    status = live.outcome.status;
  else if (live?.startedAt) status = "running";
  // Nothing runs while the task does not: an iteration left "running" was cut off.
  if (status === "running" && taskStatus !== undefined && taskStatus !== "running") status = "interrupted";
  if (status === null) return live ? "in progress" : "not started";
  return ITERATION_STATES[status] ?? status;
}
