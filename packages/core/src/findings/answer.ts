/**
 * What a review says about the ledger by id (the reviewer's prompt asks for it, see render.ts):
 * a finding that is one of the open ones starts with its id in brackets, `- [F3] …`, and one line
 * names the open findings that still stand, `STILL OPEN: F1, F3` (or `STILL OPEN: none`).
 * docs/findings.md describes the format for people.
 */

/** One finding of a review, with the ledger id the reviewer tagged it with (or null). */
export interface ReviewedFinding {
  id: string | null;
  text: string;
}

const STILL_OPEN = /^\s*(?:[-*+]\s+)?(?:\*\*)?still[ _-]open(?:\*\*)?\s*:\s*(?:\*\*)?(.*)$/i;
const TAG = /^(?:\*\*)?\[?(F\d{1,4})\]?(?:\*\*)?(?:\s*[:.)–—-])?\s+(?=\S)/i;
const IDS = /\bF\d{1,4}\b/gi;

/**
 * The ids on the review's STILL OPEN line (an empty set for "none"), null when it has none; and the
 * review without that line, for parseFindings.
 */
export function readStillOpen(review: string): { stillOpen: Set<string> | null; rest: string } {
  let stillOpen: Set<string> | null = null;
  const rest = review
    .split("\n")
    .filter((line) => {
      const m = STILL_OPEN.exec(line);
      if (!m) return true;
      stillOpen ??= new Set();
      for (const id of m[1]!.matchAll(IDS)) stillOpen.add(id[0].toUpperCase());
      return false;
    })
    .join("\n");
  return { stillOpen, rest };
}

/** A finding's text without its leading `[F3]` tag, and the id it names. */
export function readTag(text: string): ReviewedFinding {
  const m = TAG.exec(text);
  return m ? { id: m[1]!.toUpperCase(), text: text.slice(m[0].length).trim() } : { id: null, text };
}
