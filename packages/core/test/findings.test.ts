import type { Finding } from "@loop/shared";
import { describe, expect, it } from "vitest";
import {
  findStalemate,
  parseFindings,
  renderLedgerMarkdown,
  renderOpenFindings,
  SIMILARITY_THRESHOLD,
  sameFinding,
  similarity,
  stalemateReason,
  stem,
  updateLedger,
} from "../src/findings/index.ts";

const review = (...lines: string[]) => lines.join("\n");

describe("parseFindings", () => {
  it.each([
    ["dash bullets", review("STATUS: ISSUES_FOUND", "- one", "- two"), ["one", "two"]],
    ["star and plus bullets", review("STATUS: ISSUES_FOUND", "* one", "+ two"), ["one", "two"]],
    [
      "numbered with dots",
      review("STATUS: ISSUES_FOUND", "1. one", "2. two", "10. ten"),
      ["one", "two", "ten"],
    ],
    ["numbered with parens", review("STATUS: ISSUES_FOUND", "1) one", "2) two"), ["one", "two"]],
    [
      "continuation lines, indented or lazy",
      review(
        "STATUS: ISSUES_FOUND",
        "- a.ts:3 leaks the handle",
        "  when the read fails",
        "and on close",
        "- b",
      ),
      ["a.ts:3 leaks the handle\nwhen the read fails\nand on close", "b"],
    ],
    [
      "nested items belong to their parent",
      review(
        "STATUS: ISSUES_FOUND",
        "1. **Security** in routes/tasks.ts:",
        "   - missing Origin check",
        "     on POST",
        "   - token compared with ===",
        "2. Docs",
      ),
      [
        "**Security** in routes/tasks.ts:\n- missing Origin check\n  on POST\n- token compared with ===",
        "Docs",
      ],
    ],
    [
      "a blank line then an indented paragraph continues the item",
      review("STATUS: ISSUES_FOUND", "- first", "", "  more about first", "", "- second"),
      ["first\n\nmore about first", "second"],
    ],
    [
      "a blank line then an unindented paragraph ends the list",
      review("STATUS: ISSUES_FOUND", "- first", "", "Overall the change is close.", "- second"),
      ["first", "second"],
    ],
    [
      "preamble, headings and rules are not findings",
      review(
        "STATUS: ISSUES_FOUND",
        "I re-checked the whole change again; here is what remains.",
        "## Blocking",
        "- one",
        "---",
        "## Nits",
        "- two",
      ),
      ["one", "two"],
    ],
    [
      "list items before the STATUS line are ignored",
      review("- not a finding", "STATUS: ISSUES_FOUND", "- a finding"),
      ["a finding"],
    ],
    ["a decorated STATUS line", review("", "**STATUS: ISSUES_FOUND**", "", "- one"), ["one"]],
    [
      "fenced code inside an item, with lines that look like bullets",
      review(
        "STATUS: ISSUES_FOUND",
        "- the diff drops a line:",
        "  ```diff",
        "  - removed()",
        "  ```",
        "- two",
      ),
      ["the diff drops a line:\n```diff\n- removed()\n```", "two"],
    ],
    [
      "a fence outside any item is skipped whole",
      review("STATUS: ISSUES_FOUND", "```", "- not an item", "```", "- one"),
      ["one"],
    ],
    [
      "task-list checkboxes are dropped",
      review("STATUS: ISSUES_FOUND", "- [ ] one", "- [x] two"),
      ["one", "two"],
    ],
    ["CRLF and tabs", "STATUS: ISSUES_FOUND\r\n-\tone\r\n\tmore\r\n- two\r\n", ["one\nmore", "two"]],
    [
      "prose without a list is one finding",
      review("STATUS: ISSUES_FOUND", "", "The tests fail."),
      ["The tests fail."],
    ],
    ["a bare verdict has none", "STATUS: DONE\n", []],
    ["no STATUS line: the whole text is read", review("Some notes", "- one"), ["one"]],
    ["empty", "", []],
  ])("%s", (_name, text, expected) => {
    expect(parseFindings(text)).toEqual(expected);
  });
});

describe("stem", () => {
  it.each([
    ["validate", "valid"],
    ["validation", "valid"],
    ["validated", "valid"],
    ["handling", "handl"],
    ["handler", "handl"],
    ["handles", "handl"],
    ["tests", "test"],
    ["testing", "test"],
    ["need", "need"],
    ["needs", "need"],
  ])("%s → %s", (word, expected) => expect(stem(word)).toBe(expected));
});

// Pairs seen in real reviews: the second is Codex rewording the first in a later iteration.
const SAME: [string, string][] = [
  [
    "`apps/server/src/routes/tasks.ts:88` — The cancel route returns 200 even when the task already finished; the contract requires 409 `not_cancellable`.",
    "apps/server/src/routes/tasks.ts:91: cancelling a finished task still answers 200 instead of 409 not_cancellable.",
  ],
  [
    "Missing error handling when the config file does not exist (src/config.ts:42).",
    "src/config.ts:44 has no error handling for a config file that is absent.",
  ],
  [
    "The `parseConfig` function in src/config.ts:42 does not validate the PORT range.",
    "src/config.ts:42: PORT is not range-checked in `parseConfig`.",
  ],
  [
    "No test covers the retry endpoint returning 429 when the queue is full.",
    "There is still no test for POST /retry answering 429 when the queue is full.",
  ],
  [
    "[P1] packages/db/src/client.ts:17 opens the database without WAL mode, so readers block the writer.",
    "**P2** `client.ts:17`: WAL mode is not enabled when opening the database; readers will block writes.",
  ],
  [
    "The README table is missing LOOP_STALL_ITERATIONS.",
    "LOOP_STALL_ITERATIONS is not documented in the README table.",
  ],
  [
    "Race condition: `cancel()` can run while `submit()` is still writing the row (orchestrator.ts:120-140).",
    "orchestrator.ts:131 — `cancel()` races with `submit()` writing the task row.",
  ],
  [
    "The SSE route does not send a `: ping` comment every 15 s, so proxies time out.",
    "SSE stream has no keep-alive `: ping` comment every 15 s; proxies will close it.",
  ],
  [
    "Still open: the title field accepts blank strings.",
    "The title field still accepts blank strings (not fixed).",
  ],
];

// Different findings that share a file, a line, or most of their wording.
const DIFFERENT: [string, string][] = [
  [
    "src/config.ts:42: PORT is not range-checked in `parseConfig`.",
    "src/config.ts:42: the error message for LOOP_DB_PATH has a typo.",
  ],
  ["a.ts:10 unused import", "a.ts:12 missing await"],
  ["a.ts:10 missing null check", "a.ts:10 missing test"],
  [
    "No test covers the retry endpoint returning 429 when the queue is full.",
    "No test covers the cancel endpoint returning 409 when the task is finished.",
  ],
  ["The README table is missing LOOP_STALL_ITERATIONS.", "The README table is missing LOOP_TOKEN."],
  [
    "`apps/server/src/routes/tasks.ts:88` — The cancel route returns 200 even when the task already finished.",
    "`apps/server/src/routes/tasks.ts:140` — The retry route does not copy maxCostUsd to the new task.",
  ],
  [
    "Missing error handling when the config file does not exist.",
    "Missing input validation on the title field.",
  ],
  [
    "The SSE route does not send a ping every 15 s.",
    "The SSE route replays events out of order after reconnect.",
  ],
  ["src/a.ts:10 off-by-one in the loop bound", "src/b.ts:10 off-by-one in the loop bound"],
];

describe("similarity", () => {
  it.each(SAME)("the same finding reworded: %s ≈ %s", (a, b) => {
    expect(sameFinding(a, b)).toBe(true);
    expect(sameFinding(b, a)).toBe(true);
  });
  it.each(DIFFERENT)("different findings: %s ≠ %s", (a, b) => {
    expect(sameFinding(a, b)).toBe(false);
    expect(sameFinding(b, a)).toBe(false);
  });
  it("is 1 for identical text and symmetric", () => {
    expect(similarity("a.ts:3 leaks", "a.ts:3 leaks")).toBe(1);
    for (const [a, b] of [...SAME, ...DIFFERENT]) expect(similarity(a, b)).toBeCloseTo(similarity(b, a), 10);
  });
  it("ignores case, Markdown decoration and stop words", () => {
    expect(similarity("**The** handler is _missing_ a check", "handler missing check")).toBe(1);
  });
  it("weighs file:line references: the same words about another file are not enough", () => {
    const base = "off-by-one in the loop bound";
    expect(similarity(`src/a.ts:10 ${base}`, `src/a.ts:14 ${base}`)).toBe(1);
    expect(similarity(`src/a.ts:10 ${base}`, `src/a.ts:90 ${base}`)).toBeLessThan(1);
    expect(similarity(`src/a.ts:10 ${base}`, `src/b.ts:10 ${base}`)).toBeLessThan(SIMILARITY_THRESHOLD);
  });
  it("does not take prose like e.g. or Node.js for a line reference", () => {
    expect(similarity("e.g. use a map", "use a map")).toBe(1);
  });
});

const ids = (l: readonly Finding[]) => l.map((f) => `${f.id}:${f.status}`);

/** Runs reviews through the ledger, iteration 1, 2, … */
function ledgerAfter(...reviews: string[]): Finding[] {
  return reviews.reduce<Finding[]>((l, r, i) => updateLedger(l, i + 1, parseFindings(r)), []);
}

describe("updateLedger", () => {
  it("adds new findings with ids in order", () => {
    const l = updateLedger([], 1, ["a.ts:3 leaks the file handle", "b.ts:9 swallows the error"]);
    expect(l).toEqual([
      {
        id: "F1",
        text: "a.ts:3 leaks the file handle",
        status: "open",
        firstIteration: 1,
        lastIteration: 1,
        openSince: 1,
        streak: 1,
        resolvedIteration: null,
      },
      {
        id: "F2",
        text: "b.ts:9 swallows the error",
        status: "open",
        firstIteration: 1,
        lastIteration: 1,
        openSince: 1,
        streak: 1,
        resolvedIteration: null,
      },
    ]);
  });

  it("keeps the id of a reworded finding, takes the new wording, and resolves what was not reported", () => {
    const l = ledgerAfter(
      review(
        "STATUS: ISSUES_FOUND",
        "- a.ts:3 leaks the file handle on error",
        "- b.ts:9 swallows the error",
      ),
      review("STATUS: ISSUES_FOUND", "- The file handle still leaks on error (a.ts:5)"),
    );
    expect(ids(l)).toEqual(["F1:open", "F2:resolved"]);
    expect(l[0]).toMatchObject({
      text: "The file handle still leaks on error (a.ts:5)",
      lastIteration: 2,
      streak: 2,
    });
    expect(l[1]).toMatchObject({ lastIteration: 1, streak: 0, openSince: null, resolvedIteration: 2 });
  });

  it("a DONE review (no findings) resolves everything", () => {
    const l = updateLedger(
      ledgerAfter(review("STATUS: ISSUES_FOUND", "- one thing", "- other stuff")),
      2,
      [],
    );
    expect(ids(l)).toEqual(["F1:resolved", "F2:resolved"]);
  });

  it("reopens a finding that comes back after being resolved, keeping its id and first iteration", () => {
    const l = ledgerAfter(
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the file handle"),
      review("STATUS: ISSUES_FOUND", "- b.ts:9 swallows the error"),
      review(
        "STATUS: ISSUES_FOUND",
        "- the file handle leaks again at a.ts:4",
        "- b.ts:9 swallows the error",
      ),
    );
    expect(ids(l)).toEqual(["F1:open", "F2:open"]);
    expect(l[0]).toMatchObject({
      firstIteration: 1,
      lastIteration: 3,
      openSince: 3,
      streak: 1,
      resolvedIteration: null,
    });
    expect(l[1]).toMatchObject({ firstIteration: 2, openSince: 2, streak: 2 });
  });

  it("numbered lists and bullets of the same findings match each other", () => {
    const l = ledgerAfter(
      review(
        "STATUS: ISSUES_FOUND",
        "1. `routes/tasks.ts:40` cancel returns 200 for finished tasks",
        "2) no test for 429",
      ),
      review(
        "STATUS: ISSUES_FOUND",
        "- no test for the 429 answer",
        "* routes/tasks.ts:41: cancel of a finished task returns 200",
      ),
    );
    expect(ids(l)).toEqual(["F1:open", "F2:open"]);
    expect(l.map((f) => f.streak)).toEqual([2, 2]);
  });

  it("a finding split into two bullets keeps its id for the closer half; the other half is new", () => {
    const l = ledgerAfter(
      review(
        "STATUS: ISSUES_FOUND",
        "- config.ts:12 PORT is not range-checked and LOOP_DB_PATH is not validated",
      ),
      review(
        "STATUS: ISSUES_FOUND",
        "- config.ts:12 PORT is not range-checked",
        "- config.ts:20 LOOP_DB_PATH is not validated",
      ),
    );
    expect(ids(l)).toEqual(["F1:open", "F2:open"]);
    expect(l[0]!.text).toBe("config.ts:12 PORT is not range-checked");
    expect(l[1]).toMatchObject({ text: "config.ts:20 LOOP_DB_PATH is not validated", firstIteration: 2 });
  });

  it("pairs one to one: a duplicate in one review becomes its own entry", () => {
    const l = updateLedger(updateLedger([], 1, ["x.ts:1 unsafe cast"]), 2, [
      "x.ts:1 unsafe cast",
      "x.ts:1 unsafe cast",
    ]);
    expect(ids(l)).toEqual(["F1:open", "F2:open"]);
  });

  it("ids are stable across a resume: a ledger read back from JSON goes on the same way", () => {
    const reviews = [
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle", "- b.ts:9 swallows the error"),
      review("STATUS: ISSUES_FOUND", "- c.ts:1 wrong default"),
      review("STATUS: ISSUES_FOUND", "- b.ts:9 still swallows the error", "- d.ts:2 typo in message"),
    ];
    const straight = ledgerAfter(...reviews);
    const stored = JSON.parse(JSON.stringify(ledgerAfter(...reviews.slice(0, 2)))) as Finding[];
    expect(updateLedger(stored, 3, parseFindings(reviews[2]!))).toEqual(straight);
    expect(ids(straight)).toEqual(["F1:resolved", "F2:open", "F3:resolved", "F4:open"]);
  });

  it("continues numbering after the highest id, and does not mutate its input", () => {
    const before: Finding[] = [
      {
        id: "F7",
        text: "old thing",
        status: "resolved",
        firstIteration: 1,
        lastIteration: 1,
        openSince: null,
        streak: 0,
        resolvedIteration: 2,
      },
    ];
    const frozen = structuredClone(before);
    expect(updateLedger(before, 3, ["something else entirely"]).map((f) => f.id)).toEqual(["F7", "F8"]);
    expect(before).toEqual(frozen);
  });
});

describe("stalemate", () => {
  const sixReviews = [
    "STATUS: ISSUES_FOUND\nI looked at the change again.\n\n- `src/config.ts:42` does not validate the PORT range.",
    "STATUS: ISSUES_FOUND\n\nThanks for the update. One problem remains:\n\n* src/config.ts:44: PORT is still not range-checked.",
    "**STATUS: ISSUES_FOUND**\n\nAfter re-reviewing the diff, the earlier finding stands:\n\n1. PORT range is not validated (src/config.ts:44)",
    "STATUS: ISSUES_FOUND\nSame as before.\n- src/config.ts:45 — the PORT range is never validated",
    "STATUS: ISSUES_FOUND\nUnfortunately:\n- PORT is not validated against its range in src/config.ts:45",
    "STATUS: ISSUES_FOUND\nStill:\n- src/config.ts:46 does not range-check PORT",
  ];

  it("a finding repeated in six reviews with reworded preambles is one finding, and stalls at K", () => {
    let l: Finding[] = [];
    const stalledAt: number[] = [];
    sixReviews.forEach((r, i) => {
      l = updateLedger(l, i + 1, parseFindings(r));
      if (findStalemate(l, 3)) stalledAt.push(i + 1);
    });
    expect(l.map((f) => f.id)).toEqual(["F1"]);
    expect(l[0]).toMatchObject({ status: "open", streak: 6, firstIteration: 1, lastIteration: 6 });
    expect(stalledAt[0]).toBe(3);
    // The letter-by-letter rule it replaces saw six different reviews.
    expect(new Set(sixReviews).size).toBe(6);
  });

  it.each([2, 3, 4, 6])("stops at the configured count (%i), quoting the finding", (k) => {
    let l: Finding[] = [];
    for (let i = 0; i < sixReviews.length; i++) {
      l = updateLedger(l, i + 1, parseFindings(sixReviews[i]!));
      const s = findStalemate(l, k);
      if (i + 1 < k) expect(s).toBeNull();
      else {
        expect(s).toMatchObject({ reviews: k, since: 1, finding: { id: "F1" } });
        expect(stalemateReason(s!)).toBe(
          `No progress: Codex reported the same finding in ${k} reviews in a row (iterations 1–${k}); ` +
            `stopped early to save your quota. F1: "${parseFindings(sixReviews[k - 1]!)[0]}"`,
        );
        break;
      }
    }
  });

  it("is off below 2, and a finding that went away starts its count over", () => {
    const l = ledgerAfter(
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle"),
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle"),
      review("STATUS: ISSUES_FOUND", "- b.ts:1 other"),
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle"),
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle"),
    );
    expect(findStalemate(l, 1)).toBeNull();
    expect(findStalemate(l, 3)).toBeNull();
    expect(findStalemate(l, 2)).toMatchObject({ reviews: 2, since: 4, finding: { id: "F1" } });
  });

  it("progress on other findings does not hide a stuck one; the longest run is quoted", () => {
    const l = ledgerAfter(
      review("STATUS: ISSUES_FOUND", "- a.ts:3 leaks the handle", "- b.ts:1 first other"),
      review(
        "STATUS: ISSUES_FOUND",
        "- a.ts:3 leaks the handle",
        "- c.ts:1 second other",
        "- z.ts:9 bad name",
      ),
      review(
        "STATUS: ISSUES_FOUND",
        "- a.ts:3 leaks the handle",
        "- d.ts:1 third other",
        "- z.ts:9 bad name",
      ),
    );
    expect(findStalemate(l, 3)?.finding.id).toBe("F1");
  });

  it("shortens a long quote to its first line", () => {
    const long = `a.ts:1 ${"very ".repeat(80)}long\nsecond line`;
    const l = ledgerAfter(`STATUS: ISSUES_FOUND\n- ${long}`, `STATUS: ISSUES_FOUND\n- ${long}`);
    const reason = stalemateReason(findStalemate(l, 2)!);
    expect(reason).not.toContain("second line");
    expect(reason).toMatch(/…"$/);
  });
});

describe("rendering", () => {
  const l = ledgerAfter(
    review(
      "STATUS: ISSUES_FOUND",
      "- a.ts:3 leaks the handle",
      "  on the error path",
      "- b.ts:9 swallows the error",
    ),
    review(
      "STATUS: ISSUES_FOUND",
      "- a.ts:3 leaks the handle",
      "  on the error path",
      "- c.ts:1 wrong default",
    ),
  );

  it("renders the open findings as a checklist for Claude", () => {
    expect(renderOpenFindings(l)).toBe(
      [
        "## Open review findings",
        "",
        "The reviewer's findings that are still open (2). Fix each one, or say in your answer why it",
        "should not be fixed; the next review checks them again.",
        "",
        "- [ ] **F1** (reported in iterations 1–2): a.ts:3 leaks the handle",
        "  on the error path",
        "- [ ] **F3** (reported in iteration 2): c.ts:1 wrong default",
      ].join("\n"),
    );
  });

  it("renders nothing when no finding is open", () => {
    expect(renderOpenFindings(updateLedger(l, 3, []))).toBe("");
    expect(renderOpenFindings([])).toBe("");
  });

  it("renders the ledger for result.md", () => {
    expect(renderLedgerMarkdown(l)).toBe(
      [
        "## Findings",
        "",
        "2 open, 1 resolved.",
        "",
        "### Open",
        "",
        "- **F1** · open since iteration 1 · reported 1–2: a.ts:3 leaks the handle",
        "  on the error path",
        "- **F3** · open since iteration 2 · reported in 2: c.ts:1 wrong default",
        "",
        "### Resolved",
        "",
        "- **F2** · resolved in iteration 2 · reported in 1: b.ts:9 swallows the error",
      ].join("\n"),
    );
    expect(renderLedgerMarkdown([])).toBe("## Findings\n\nCodex reported no findings.");
  });
});
