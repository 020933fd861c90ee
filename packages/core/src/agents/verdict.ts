import type { Verdict } from "@loop/shared";

export interface ParsedVerdict {
  status: Verdict;
  /** The first non-empty line, as Codex wrote it. */
  firstLine: string;
  /** False when the line was not a status line (then status is ISSUES_FOUND). */
  explicit: boolean;
}

// "STATUS: DONE", "status - issues found", "STATUS:ISSUES_FOUND" after decoration is stripped.
const STATUS = /^status\s*[:=\-–—]?\s*(done|issues[\s_-]*found)(?![a-z_]|-[a-z])/i;

/**
 * Reads Codex's verdict from the first non-empty line of its last message. Harmless decoration
 * (`**STATUS: DONE**`, backticks, a leading `#` or `>`, any case, extra spaces) is accepted.
 */
export function parseVerdict(text: string): ParsedVerdict {
  const firstLine =
    text
      .split(/\r?\n/)
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  const cleaned = firstLine
    .replace(/[*_`~]/g, "")
    .replace(/^[#>\s-]+/, "")
    .trim();
  const m = STATUS.exec(cleaned);
  if (!m) return { status: "ISSUES_FOUND", firstLine, explicit: false };
  const status: Verdict = m[1]!.toLowerCase() === "done" ? "DONE" : "ISSUES_FOUND";
  return { status, firstLine, explicit: true };
}
