import type { Finding } from "@loop/shared";
import type { ReviewedFinding } from "./answer.ts";
import { features, isMatch, score } from "./similarity.ts";

export const idNumber = (id: string) => Number(/\d+$/.exec(id)?.[0] ?? 0);

/**
 * The ledger after the review of `iteration` reported `findings` (pass [] for a DONE review):
 * - a finding the reviewer tagged with a ledger id (`[F3] …`, see answer.ts) is that entry;
 * - each other finding is paired with the most similar remaining entry that is the same finding
 *   (sameFinding), one to one, best pairs first (ties: open entries, then older ones); when the
 *   review has a STILL OPEN line, the open entries it leaves out are not candidates (they are fixed);
 * - a paired entry keeps its id and takes the new wording; a paired resolved entry is reopened (it
 *   came back): open again, its streak starts over;
 * - a paired dismissed entry stays dismissed (the user decided; it never counts toward a stalemate);
 * - a finding paired with nothing is a new entry with the next id (`F<n>`);
 * - an open entry this review did not report stays open when the STILL OPEN line names it, and
 *   otherwise becomes resolved in this iteration.
 * Call it once per review; an iteration whose Codex run failed is not a review.
 */
export function updateLedger(
  ledger: readonly Finding[],
  iteration: number,
  findings: readonly (string | ReviewedFinding)[],
  stillOpen: ReadonlySet<string> | null = null,
): Finding[] {
  const items = findings
    .map((f) => (typeof f === "string" ? { id: null, text: f.trim() } : { id: f.id, text: f.text.trim() }))
    .filter((f) => f.text !== "");
  const reported = new Map<number, string>();
  const untagged: string[] = [];
  for (const item of items) {
    const j = item.id === null ? -1 : ledger.findIndex((e) => e.id === item.id);
    if (j === -1 || reported.has(j)) untagged.push(item.text);
    else reported.set(j, item.text);
  }
  const candidate = (e: Finding, j: number) =>
    !reported.has(j) && !(stillOpen && e.status === "open" && !stillOpen.has(e.id));
  const entryOf = pairBySimilarity(ledger, untagged, candidate);
  for (const [i, j] of entryOf) reported.set(j, untagged[i]!);

  const next: Finding[] = ledger.map((entry, j) => {
    const text = reported.get(j);
    if (entry.status === "dismissed")
      return text === undefined ? { ...entry } : { ...entry, lastIteration: iteration };
    if (text !== undefined) {
      const stillOpenEntry = entry.status === "open";
      return {
        ...entry,
        text,
        status: "open",
        lastIteration: iteration,
        openSince: stillOpenEntry ? (entry.openSince ?? entry.firstIteration) : iteration,
        streak: stillOpenEntry ? entry.streak + 1 : 1,
        resolvedIteration: null,
      };
    }
    if (entry.status === "open" && stillOpen?.has(entry.id)) {
      return { ...entry, lastIteration: iteration, streak: entry.streak + 1 };
    }
    if (entry.status === "open") {
      return { ...entry, status: "resolved", openSince: null, streak: 0, resolvedIteration: iteration };
    }
    return { ...entry };
  });
  let nextId = Math.max(0, ...ledger.map((e) => idNumber(e.id))) + 1;
  untagged.forEach((text, i) => {
    if (entryOf.has(i)) return;
    next.push({
      id: `F${nextId++}`,
      text,
      status: "open",
      firstIteration: iteration,
      lastIteration: iteration,
      openSince: iteration,
      streak: 1,
      resolvedIteration: null,
    });
  });
  return next;
}

/** Pairs texts with ledger entries (those `candidate` allows) by similarity: text index → entry index. */
function pairBySimilarity(
  ledger: readonly Finding[],
  texts: readonly string[],
  candidate: (e: Finding, j: number) => boolean,
): Map<number, number> {
  const pairs: { i: number; j: number; sim: number }[] = [];
  const entryFeatures = ledger.map((e, j) => (candidate(e, j) ? features(e.text) : null));
  texts.forEach((text, i) => {
    const f = features(text);
    entryFeatures.forEach((e, j) => {
      if (!e) return;
      const s = score(f, e);
      if (isMatch(s)) pairs.push({ i, j, sim: s.all });
    });
  });
  const openFirst = (j: number) => (ledger[j]!.status === "open" ? 0 : 1);
  pairs.sort((p, q) => q.sim - p.sim || openFirst(p.j) - openFirst(q.j) || p.j - q.j || p.i - q.i);
  const entryOf = new Map<number, number>();
  const taken = new Set<number>();
  for (const p of pairs) {
    if (entryOf.has(p.i) || taken.has(p.j)) continue;
    entryOf.set(p.i, p.j);
    taken.add(p.j);
  }
  return entryOf;
}

// ─────────────────────────── stalemate ───────────────────────────

export interface Stalemate {
  finding: Finding;
  /** Reviews in a row that reported it. */
  reviews: number;
  /** The iteration where that run of reviews started. */
  since: number;
}

/**
 * The open finding reported by the most reviews in a row, when that is at least `stallReviews`
 * (LOOP_STALL_ITERATIONS); null otherwise or when `stallReviews` < 2 (the guard is off). Rewording
 * does not reset the count: matching is by similarity (see updateLedger).
 */
export function findStalemate(ledger: readonly Finding[], stallReviews: number): Stalemate | null {
  if (stallReviews < 2) return null;
  let worst: Finding | null = null;
  for (const f of ledger) {
    if (f.status !== "open" || f.streak < stallReviews) continue;
    if (!worst || f.streak > worst.streak) worst = f;
  }
  return worst
    ? { finding: worst, reviews: worst.streak, since: worst.openSince ?? worst.firstIteration }
    : null;
}

const QUOTE_LIMIT = 200;

/** The first line of a finding, shortened, for one-line messages. */
export function excerpt(text: string, max = QUOTE_LIMIT): string {
  const first = text.trim().split("\n")[0]!.trim();
  return first.length <= max ? first : `${first.slice(0, max - 1).trimEnd()}…`;
}

/** The task's statusReason when findStalemate stops it. */
export function stalemateReason(s: Stalemate): string {
  const { finding, reviews, since } = s;
  return (
    `No progress: Codex reported the same finding in ${reviews} reviews in a row ` +
    `(iterations ${since}–${finding.lastIteration}); stopped early to save your quota. ` +
    `${finding.id}: "${excerpt(finding.text)}"`
  );
}

/** A finding after the user dismissed it (with a reason) or opened it again (PATCH …/findings/:id). */
export function decideFinding(f: Finding, status: "dismissed" | "open", reason?: string): Finding {
  const { dismissReason: _, ...rest } = f;
  if (status === "dismissed") {
    const why = reason?.trim();
    return { ...rest, status, openSince: null, streak: 0, ...(why && { dismissReason: why }) };
  }
  if (f.status === "open") return rest;
  // Open again from the user's word: its streak starts over (the stalemate guard counts reviews).
  return { ...rest, status, openSince: f.lastIteration, streak: 0, resolvedIteration: null };
}
