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

export interface Features {
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

export function features(text: string): Features {
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

export interface Score {
  /** The weighted Jaccard similarity of everything. */
  all: number;
  /** The same over words and identifiers only (1 when neither has any). */
  words: number;
}

export function score(fa: Features, fb: Features): Score {
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

export const isMatch = (s: Score) => s.all >= SIMILARITY_THRESHOLD && s.words >= MIN_WORD_SIMILARITY;
