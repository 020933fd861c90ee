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

/** A short tag for a parsed line's kind. */
export function kindTag(kind: string): string {
  const k = kind.toLowerCase();
  if (k.includes("tool_result")) return "result";
  if (k.includes("tool")) return "tool";
  if (k.includes("command")) return "cmd";
  if (k.includes("think") || k.includes("reason")) return "think";
  if (k.includes("assistant") || k.includes("message") || k === "text") return "text";
  if (k.includes("error")) return "error";
  return k.slice(0, 8);
}
