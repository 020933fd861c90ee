import type { Finding } from "@loop/shared";
import { parseVerdict } from "./agents/verdict.ts";

/*
 * The findings ledger: Codex's findings tracked across iterations, as pure functions.
 * docs/findings.md explains the rules for people; the constants below are the numbers.
 */

// ───────────────────────────── parsing ─────────────────────────────

const ITEM = /^( *)([-*+]|\d{1,3}[.)])( +)(\S.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}(\s|$)/;
const RULE = /^ {0,3}([-*_])( *\1){2,} *$/;
const CHECKBOX = /^\[[ xX]\] +/;

interface Item {
  indent: number;
  /** Column where the item's text starts; continuation lines are de-indented by up to this much. */
  contentCol: number;
  lines: string[];
}

/**
 * The findings of a review: the list items after its STATUS line (`-`, `*`, `+`, `1.`, `1)`), each
 * with its continuation lines; nested items and fenced code belong to the item they are in. Text
 * before the STATUS line, headings and paragraphs between lists are not findings. A review whose
 * body has no list item but does have text counts that text as its one finding, so a prose-only
 * review still feeds the stalemate guard. Which verdict the review gave is not looked at here.
 */
export function parseFindings(review: string): string[] {
  const lines = review.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  const body = lines.slice(statusLineIndex(lines) + 1);
  const items: Item[] = [];
  let current: Item | null = null;
  let blank = false;
  let fence: string | null = null;
  const push = (item: Item, line: string) => {
    if (blank) item.lines.push("");
    const strip = Math.min(item.contentCol, line.length - line.trimStart().length);
    item.lines.push(line.slice(strip).trimEnd());
    blank = false;
  };

  for (const line of body) {
    if (fence !== null) {
      if (current) push(current, line);
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") fence = null;
      continue;
    }
    if (line.trim() === "") {
      blank = current !== null;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    const fenceOpen = FENCE.exec(line);
    if (fenceOpen) {
      fence = fenceOpen[1]!;
      if (current && (!blank || indent > current.indent)) push(current, line);
      else current = null;
      continue;
    }
    if (HEADING.test(line) || RULE.test(line)) {
      current = null;
      blank = false;
      continue;
    }
    const item = ITEM.exec(line);
    if (item && !(current && indent > current.indent)) {
      const text = item[4]!.replace(CHECKBOX, "");
      current = { indent, contentCol: indent + item[2]!.length + item[3]!.length, lines: [text] };
      items.push(current);
      blank = false;
      continue;
    }
    // A nested item, an indented continuation, or a lazy continuation right below the item's text.
    if (current && (!blank || indent > current.indent)) push(current, line);
    else {
      current = null;
      blank = false;
    }
  }

  const found = items.map((i) => i.lines.join("\n").trim()).filter((t) => t !== "");
  if (found.length > 0 || items.length > 0) return found;
  const prose = body.join("\n").trim();
  return prose === "" ? [] : [prose];
}

/** Index of the STATUS line: the first non-empty line if it is one, else the first line that is; -1 if none. */
function statusLineIndex(lines: readonly string[]): number {
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first === -1) return -1;
  if (parseVerdict(lines[first]!).explicit) return first;
  return lines.findIndex((l) => l.trim() !== "" && parseVerdict(l).explicit);
}

// ─────────────────────────── similarity ───────────────────────────

/** Two findings with at least this similarity are the same finding. */
export const SIMILARITY_THRESHOLD = 0.5;
/** …and their words and identifiers alone are at least this alike. */
export const MIN_WORD_SIMILARITY = 0.3;
/** Weight of a file named in both (`config.ts`, by base name). A word weighs 1. */
export const FILE_WEIGHT = 1;
/** Weight of a `file:line` reference found in both. */
export const REF_WEIGHT = 2;
/** Weight of an identifier found in both (`parseConfig`, `LOOP_TOKEN`, `not_cancellable`). */
export const IDENT_WEIGHT = 2;
/** Two references to one file are the same when their lines are this close (edits move lines). */
export const REF_LINE_TOLERANCE = 20;

interface Features {
  words: Set<string>;
  /** Identifiers: `code`, snake_case, camelCase, words with digits. */
  idents: Set<string>;
  files: Set<string>;
  refs: { file: string; line: number }[];
}

const CODE_EXT =
  "ts|tsx|js|jsx|mjs|cjs|mts|cts|json|jsonc|md|mdx|py|rs|go|java|kt|rb|php|c|h|cc|cpp|hpp|cs|swift|m|scala|" +
  "sh|bash|zsh|ps1|sql|css|scss|sass|less|html|vue|svelte|astro|yml|yaml|toml|ini|xml|lock|txt|env|proto|graphql";
// `path/to/file.ext:12`, `file.ext:12-20`, `file.ext#L12`, `file.ext line 12`, or a bare `path/file.ext`.
const FILE_REF = new RegExp(
  String.raw`(?<![\w/.-])((?:[\w@.-]+/)*[\w@-][\w@.-]*\.(?:[A-Za-z][A-Za-z0-9]{0,9}))` +
    String.raw`(?:(?::|#L|,?\s+lines?\s+)(\d+)(?:[-–:,]L?\d+)?)?(?![\w/])`,
  "g",
);
const KNOWN_EXT = new RegExp(`\\.(?:${CODE_EXT})$`, "i");

// Function words, and the words reviewers add around a finding (severity, "still", "please").
const STOPWORDS = new Set(
  (
    "a an and are as at be been being but by can could did do does doing for from had has have having " +
    "here how if in into is it its it's itself may might must no nor not of on once only or other our out " +
    "over own same so some such than that the their them then there these they this those through to too " +
    "under until up very was we were what when where which while who whom why will with would you your " +
    "also again still yet now currently already just even instead however because since though thus " +
    "should shall need needs please consider make sure ensure issue issues finding findings problem " +
    "remain remains remaining line lines file files p0 p1 p2 p3 p4 high medium low severity critical major " +
    "minor nit blocker blocking"
  ).split(" "),
);
const SUFFIXES = [
  "ations",
  "ation",
  "ated",
  "ates",
  "ate",
  "ings",
  "ing",
  "ions",
  "ion",
  "ers",
  "er",
  "ed",
  "es",
  "ly",
  "s",
  "e",
];

/** A crude stemmer: strips common endings while 3 letters remain, then keeps 6 letters. */
export function stem(word: string): string {
  let w = word;
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of SUFFIXES) {
      if (w.endsWith(s) && w.length - s.length >= 3) {
        w = w.slice(0, -s.length);
        changed = true;
        break;
      }
    }
  }
  return w.slice(0, 6);
}

function features(text: string): Features {
  const files = new Set<string>();
  const refs: Features["refs"] = [];
  const rest = text.replace(FILE_REF, (whole, path: string, line: string | undefined) => {
    if (line === undefined && !path.includes("/") && !KNOWN_EXT.test(path)) return whole;
    const file = (path.split("/").pop() ?? path).toLowerCase();
    files.add(file);
    if (line !== undefined) refs.push({ file, line: Number(line) });
    return " ";
  });
  const words = new Set<string>();
  const idents = new Set<string>();
  const add = (token: string, code: boolean) => {
    const lower = token.toLowerCase();
    if (/^\d+$/.test(token)) words.add(token);
    else if (code || /[_\d]/.test(token) || /[a-z][A-Z]/.test(token)) {
      if (lower.length >= 2) idents.add(lower);
    } else if (lower.length >= 2 && !STOPWORDS.has(lower)) words.add(stem(lower));
  };
  const prose = rest.replace(/`([^`]+)`/g, (_, code: string) => {
    for (const t of code.split(/[^\p{L}\p{N}_]+/u)) if (t) add(t, true);
    return " ";
  });
  for (const t of prose.split(/[^\p{L}\p{N}_']+/u)) {
    // Leading or trailing `_` is Markdown emphasis, not part of an identifier.
    const word = t.replace(/^['_]+|['_]+$/g, "");
    if (word) add(word, false);
  }
  return { words, idents, files, refs };
}

/** References of a and b paired one to one: same file, lines at most REF_LINE_TOLERANCE apart. */
function matchedRefs(a: Features["refs"], b: Features["refs"]): number {
  const used = new Set<number>();
  let m = 0;
  for (const r of a) {
    let best = -1;
    for (let j = 0; j < b.length; j++) {
      const s = b[j]!;
      if (used.has(j) || s.file !== r.file) continue;
      const d = Math.abs(s.line - r.line);
      if (d <= REF_LINE_TOLERANCE && (best === -1 || d < Math.abs(b[best]!.line - r.line))) best = j;
    }
    if (best !== -1) {
      used.add(best);
      m++;
    }
  }
  return m;
}

interface Score {
  /** The weighted Jaccard similarity of everything. */
  all: number;
  /** The same over words and identifiers only (1 when neither has any). */
  words: number;
}

function score(fa: Features, fb: Features): Score {
  let shared = 0;
  let union = 0;
  const sets = (x: Set<string>, y: Set<string>, weight: number) => {
    const both = [...x].filter((t) => y.has(t)).length;
    shared += weight * both;
    union += weight * (x.size + y.size - both);
  };
  sets(fa.words, fb.words, 1);
  sets(fa.idents, fb.idents, IDENT_WEIGHT);
  const words = union === 0 ? 1 : shared / union;
  sets(fa.files, fb.files, FILE_WEIGHT);
  const m = matchedRefs(fa.refs, fb.refs);
  shared += REF_WEIGHT * m;
  union += REF_WEIGHT * (fa.refs.length + fb.refs.length - m);
  return { all: union === 0 ? 1 : shared / union, words };
}

/**
 * Weighted Jaccard similarity of two findings, from 0 (nothing shared) to 1:
 *
 *   sim = (|W∩| + I·|I∩| + F·|F∩| + R·m) / (|W∪| + I·|I∪| + F·|F∪| + R·(|Ra| + |Rb| − m))
 *
 * W: normalised words (lower case, stop words dropped, stemmed, numbers kept); I: identifiers
 * (in backticks, or with `_`, digits or camelCase), kept whole; F: base names of the files named;
 * R: `file:line` references, m of them paired one to one (same file, lines at most
 * REF_LINE_TOLERANCE apart). I = IDENT_WEIGHT, F = FILE_WEIGHT, R = REF_WEIGHT, a word weighs 1.
 * Two texts with nothing to compare are identical (1).
 */
export function similarity(a: string, b: string): number {
  return score(features(a), features(b)).all;
}

/**
 * Whether two texts are the same finding: sim ≥ SIMILARITY_THRESHOLD, and their words and
 * identifiers alone are at least MIN_WORD_SIMILARITY alike, so a shared `file:line` cannot make
 * two different remarks about one line the same finding.
 */
export function sameFinding(a: string, b: string): boolean {
  return isMatch(score(features(a), features(b)));
}

const isMatch = (s: Score) => s.all >= SIMILARITY_THRESHOLD && s.words >= MIN_WORD_SIMILARITY;

// ───────────────────────────── ledger ─────────────────────────────

const idNumber = (id: string) => Number(/\d+$/.exec(id)?.[0] ?? 0);

/**
 * The ledger after the review of `iteration` reported `findings` (pass [] for a DONE review):
 * - each finding is paired with the most similar ledger entry (open or resolved) that is the
 *   same finding (sameFinding), one to one, best pairs first (ties: open entries, then older ones);
 *   a paired entry keeps its id and takes the new wording;
 * - a paired resolved entry is reopened (it came back): open again, its streak starts over;
 * - a finding paired with nothing is a new entry with the next id (`F<n>`);
 * - an open entry this review did not report becomes resolved in this iteration.
 * Call it once per review; an iteration whose Codex run failed is not a review.
 */
export function updateLedger(
  ledger: readonly Finding[],
  iteration: number,
  findings: readonly string[],
): Finding[] {
  const texts = findings.map((t) => t.trim()).filter((t) => t !== "");
  const pairs: { i: number; j: number; sim: number }[] = [];
  const entryFeatures = ledger.map((e) => features(e.text));
  texts.forEach((text, i) => {
    const f = features(text);
    entryFeatures.forEach((e, j) => {
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

  const reported = new Map<number, string>();
  for (const [i, j] of entryOf) reported.set(j, texts[i]!);
  const next: Finding[] = ledger.map((entry, j) => {
    const text = reported.get(j);
    if (text !== undefined) {
      const stillOpen = entry.status === "open";
      return {
        ...entry,
        text,
        status: "open",
        lastIteration: iteration,
        openSince: stillOpen ? (entry.openSince ?? entry.firstIteration) : iteration,
        streak: stillOpen ? entry.streak + 1 : 1,
        resolvedIteration: null,
      };
    }
    if (entry.status === "open") {
      return { ...entry, status: "resolved", openSince: null, streak: 0, resolvedIteration: iteration };
    }
    return { ...entry };
  });
  let nextId = Math.max(0, ...ledger.map((e) => idNumber(e.id))) + 1;
  texts.forEach((text, i) => {
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

// ─────────────────────────── rendering ───────────────────────────

const indentRest = (text: string, pad: string) =>
  text
    .trim()
    .split("\n")
    .map((l, i) => (i === 0 || l === "" ? l : pad + l))
    .join("\n");

const sortById = (a: Finding, b: Finding) => idNumber(a.id) - idNumber(b.id);

/**
 * The open findings as a Markdown checklist for Claude's next prompt; "" when none is open.
 */
export function renderOpenFindings(ledger: readonly Finding[]): string {
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  if (open.length === 0) return "";
  const items = open.map((f) => {
    const since = f.openSince ?? f.firstIteration;
    const seen = since === f.lastIteration ? `iteration ${since}` : `iterations ${since}–${f.lastIteration}`;
    return `- [ ] **${f.id}** (reported in ${seen}): ${indentRest(f.text, "  ")}`;
  });
  return [
    "## Open review findings",
    "",
    `The reviewer's findings that are still open (${open.length}). Fix each one, or say in your answer why it`,
    "should not be fixed; the next review checks them again.",
    "",
    ...items,
  ].join("\n");
}

/** The ledger as Markdown for result.md: open findings first, then resolved ones. */
export function renderLedgerMarkdown(ledger: readonly Finding[]): string {
  if (ledger.length === 0) return "## Findings\n\nCodex reported no findings.";
  const open = ledger.filter((f) => f.status === "open").sort(sortById);
  const resolved = ledger.filter((f) => f.status === "resolved").sort(sortById);
  const line = (f: Finding) => {
    const when =
      f.status === "open"
        ? `open since iteration ${f.openSince ?? f.firstIteration}`
        : `resolved in iteration ${f.resolvedIteration ?? f.lastIteration + 1}`;
    const span =
      f.firstIteration === f.lastIteration
        ? `reported in ${f.firstIteration}`
        : `reported ${f.firstIteration}–${f.lastIteration}`;
    return `- **${f.id}** · ${when} · ${span}: ${indentRest(f.text, "  ")}`;
  };
  return [
    "## Findings",
    "",
    `${open.length} open, ${resolved.length} resolved.`,
    ...(open.length ? ["", "### Open", "", ...open.map(line)] : []),
    ...(resolved.length ? ["", "### Resolved", "", ...resolved.map(line)] : []),
  ].join("\n");
}
