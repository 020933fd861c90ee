import type { ChangedFile, Changes, DiffHunk, Finding } from "@loop/shared";
import { renderToStaticMarkup } from "react-dom/server";
import { prerender } from "react-dom/static";
import { describe, expect, it } from "vitest";
import { changesError } from "../src/features/changes/ChangesDisclosure.tsx";
import ChangesView from "../src/features/changes/ChangesView.tsx";
import { FindingsList } from "../src/features/changes/FindingsList.tsx";
import { countFindings, findingState, sortFindings } from "../src/features/changes/findings.ts";
import { LazyChangesView } from "../src/features/changes/LazyChangesView.tsx";
import { changesNotes, fileViews, hunkData, OPEN_MAX_LINES } from "../src/features/changes/view.ts";
import { ApiError } from "../src/lib/api.ts";

const hunk = (header: string, lines: string[]): DiffHunk => {
  const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(header)!;
  const kinds = { "+": "add", "-": "del", " ": "ctx", "\\": "note" } as const;
  return {
    header,
    oldStart: Number(m[1]),
    oldLines: Number(m[2] ?? 1),
    newStart: Number(m[3]),
    newLines: Number(m[4] ?? 1),
    lines: lines.map((l) => ({ kind: kinds[l[0] as keyof typeof kinds], text: l.slice(1) })),
  };
};

const file = (f: Partial<ChangedFile> & Pick<ChangedFile, "path" | "status">): ChangedFile => ({
  oldPath: null,
  added: 0,
  deleted: 0,
  binary: false,
  patch: { header: [`diff --git a/${f.path} b/${f.path}`], hunks: [] },
  ...f,
});

// An iteration's changes as packages/core/src/changes computes them (deleted, binary, modified,
// renamed, added; one more file the total cap left out).
const CHANGES: Changes = {
  title: "Changes in iteration 1",
  kind: "git",
  added: 4 + 9,
  deleted: 1,
  files: [
    file({
      path: "gone.txt",
      status: "deleted",
      deleted: 1,
      patch: {
        header: ["diff --git a/gone.txt b/gone.txt", "deleted file mode 100644"],
        hunks: [hunk("@@ -1 +0,0 @@", ["-old"])],
      },
    }),
    file({ path: "logo.png", status: "added", added: null, deleted: null, binary: true }),
    file({
      path: "math.js",
      status: "modified",
      added: 1,
      patch: {
        header: ["diff --git a/math.js b/math.js"],
        hunks: [
          hunk("@@ -1,3 +1,4 @@", [
            " export function add(a, b) {",
            '+  if (typeof a !== "number") throw new TypeError("a");',
            "   return a + b;",
            " }",
          ]),
        ],
      },
    }),
    file({ path: "new.txt", oldPath: "old.txt", status: "renamed" }),
    file({
      path: "notes.md",
      status: "added",
      added: 3,
      patch: {
        header: ["diff --git a/notes.md b/notes.md", "new file mode 100644"],
        hunks: [hunk("@@ -0,0 +1,3 @@", ["+# Notes", "+", "+hello", "\\ No newline at end of file"])],
      },
    }),
    file({ path: "big.json", status: "added", added: 9, patch: null }),
  ],
  omitted: [{ path: "big.json", reason: "total_cap", shownHunks: 0 }],
  notes: [],
};

/** n small modified files. */
const many = (n: number): Changes => ({
  ...CHANGES,
  title: "Many",
  files: Array.from({ length: n }, (_, i) =>
    file({
      path: `f${i}`,
      status: "modified",
      added: 1,
      deleted: 1,
      patch: {
        header: [`diff --git a/f${i} b/f${i}`],
        hunks: [hunk("@@ -1 +1 @@", ["-a", "+b"])],
      },
    }),
  ),
  omitted: [],
});

describe("the diff view's model, from the data", () => {
  it("names each file shown, its status, counts and whether it is binary", () => {
    expect(
      fileViews(CHANGES).map(({ label, status, added, deleted, binary, open, diffType }) => ({
        label,
        status,
        added,
        deleted,
        binary,
        open,
        diffType,
      })),
    ).toEqual([
      {
        label: "gone.txt",
        status: "deleted",
        added: 0,
        deleted: 1,
        binary: false,
        open: true,
        diffType: "delete",
      },
      { label: "logo.png", status: "added", added: 0, deleted: 0, binary: true, open: true, diffType: "add" },
      {
        label: "math.js",
        status: "modified",
        added: 1,
        deleted: 0,
        binary: false,
        open: true,
        diffType: "modify",
      },
      {
        label: "old.txt → new.txt",
        status: "renamed",
        added: 0,
        deleted: 0,
        binary: false,
        open: true,
        diffType: "rename",
      },
      {
        label: "notes.md",
        status: "added",
        added: 3,
        deleted: 0,
        binary: false,
        open: true,
        diffType: "add",
      },
    ]);
    expect(changesNotes(CHANGES)).toEqual([
      "The diff is capped in size; not shown (their line counts are above): big.json.",
    ]);
  });

  it("numbers the lines of each side and puts each insertion after the deletion it replaces", () => {
    const h = hunkData(
      hunk("@@ -10,4 +10,4 @@ fn", [" a", "-b", "-c", "+B", "+C", " d", "\\ No newline at end of file"]),
    );
    expect(h).toMatchObject({
      content: "@@ -10,4 +10,4 @@ fn",
      oldStart: 10,
      newStart: 10,
      oldLines: 4,
      newLines: 4,
    });
    expect(
      h.changes.map(
        (c) =>
          `${c.type}:${c.content}:${"lineNumber" in c ? c.lineNumber : `${c.oldLineNumber}/${c.newLineNumber}`}`,
      ),
    ).toEqual([
      "normal:a:10/10",
      "delete:b:11",
      "insert:B:11",
      "delete:c:12",
      "insert:C:12",
      "normal:d:13/13",
    ]);
  });

  it("starts large files, and every file of a diff of many files, collapsed", () => {
    const big = file({ path: "big.txt", status: "added", added: OPEN_MAX_LINES + 1 });
    expect(fileViews({ files: [big, ...CHANGES.files] }).map((v) => v.open)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(fileViews(many(21)).every((v) => !v.open)).toBe(true);
  });
});

describe("ChangesView", () => {
  it("renders one collapsible section per file with a real diff table", () => {
    const html = renderToStaticMarkup(<ChangesView changes={CHANGES} />);
    expect(html).toContain('aria-label="Changes in iteration 1"');
    expect(html).toContain("6 files changed, +13 -1, 1 binary (logo.png)");
    expect(html.match(/<details/g)).toHaveLength(5);
    expect(html).toContain("old.txt → new.txt");
    expect(html).toContain("Binary file: its content is not shown.");
    expect(html).toContain("No change to the content.");
    expect(html).toMatch(/class="diff[^"]*"/);
    expect(html).toMatch(/diff-code-insert[^>]*>.*typeof a/);
    expect(html).not.toContain("No newline");
    expect(html).toContain("Expand all");
    expect(html).toContain("big.json");
  });

  it("renders nothing of a collapsed file but its header", () => {
    const html = renderToStaticMarkup(<ChangesView changes={many(21)} label="All changes" />);
    expect(html).toContain('aria-label="All changes"');
    expect(html.match(/<details/g)).toHaveLength(21);
    expect(html).not.toContain("<table");
  });

  it("outside git shows the list of changed files", () => {
    const outside: Changes = {
      title: "Changes",
      kind: "files",
      files: [
        {
          path: "a.txt",
          oldPath: null,
          status: "added",
          added: null,
          deleted: null,
          binary: false,
          oldSize: null,
          newSize: 2,
          patch: null,
        },
        {
          path: "b.txt",
          oldPath: null,
          status: "modified",
          added: null,
          deleted: null,
          binary: false,
          oldSize: 1,
          newSize: 3,
          patch: null,
        },
      ],
      added: 0,
      deleted: 0,
      omitted: [],
      notes: [],
    };
    const html = renderToStaticMarkup(<ChangesView changes={outside} />);
    expect(html).toContain("2 files changed: 1 added, 1 modified, 0 deleted.");
    expect(html).toContain("Not a git repository");
    expect(html).toContain('aria-label="Changed files"');
    expect(html).toContain("<li>added a.txt (2 B)</li>");
    expect(html).toContain("<li>modified b.txt (1 B → 3 B)</li>");
  });

  it("nothing compared: the note says why, no summary", () => {
    const none: Changes = {
      ...CHANGES,
      kind: "none",
      files: [],
      omitted: [],
      notes: ["No snapshot was taken."],
    };
    const html = renderToStaticMarkup(<ChangesView changes={none} />);
    expect(html).toContain("No snapshot was taken.");
    expect(html).not.toContain("changes-summary");
  });

  it("a task an older loop ran has no stored diff: it points to the artifact", () => {
    const old = changesError(new ApiError(404, "changes_not_found", "none"), "001-changes.md");
    expect(old).toEqual({
      message: "No diff was stored for these changes; 001-changes.md has them as text.",
      stored: false,
    });
    expect(changesError(new ApiError(0, "network_error", "Cannot reach"), "x.md").stored).toBe(true);
  });

  it("demonstration: the lazy view loads the library on first render and shows the diff", async () => {
    const { prelude } = await prerender(<LazyChangesView changes={CHANGES} />);
    const html = await new Response(prelude).text();
    expect(html).not.toContain("Loading the diff view");
    expect(html).toContain("math.js");
    expect(html).toContain("diff-code-insert");
  });
});

const finding = (o: Partial<Finding> & Pick<Finding, "id" | "status">): Finding => ({
  text: `text of ${o.id}`,
  firstIteration: 1,
  lastIteration: 1,
  openSince: o.status === "open" ? 1 : null,
  streak: o.status === "open" ? 1 : 0,
  resolvedIteration: o.status === "resolved" ? 2 : null,
  ...o,
});

const LEDGER: Finding[] = [
  finding({ id: "F1", status: "resolved", firstIteration: 1, lastIteration: 2, resolvedIteration: 3 }),
  finding({
    id: "F10",
    status: "open",
    firstIteration: 3,
    lastIteration: 4,
    openSince: 3,
    text: "a.ts:3 leaks\nmore",
  }),
  finding({ id: "F2", status: "open", firstIteration: 1, lastIteration: 4, openSince: 4 }),
];

describe("findings", () => {
  it("sorts open first, then by id number, and says since when", () => {
    expect(sortFindings(LEDGER).map((f) => f.id)).toEqual(["F2", "F10", "F1"]);
    expect(LEDGER.map(findingState)).toEqual(["in iteration 3", "since iteration 3", "since iteration 4"]);
    expect(countFindings(LEDGER)).toEqual({ open: 2, resolved: 1 });
  });

  it("reads a contract-only entry (no openSince / resolvedIteration)", () => {
    const bare = { id: "F1", text: "x", status: "resolved", firstIteration: 2, lastIteration: 3 } as Finding;
    expect(findingState(bare)).toBe("in iteration 4");
  });

  it("renders the ledger as a table: id, text, status badge, first and last iteration", () => {
    const html = renderToStaticMarkup(<FindingsList findings={LEDGER} />);
    expect(html).toContain("2 open · 1 resolved");
    const rows = [...html.matchAll(/<tr data-status="(\w+)"><th scope="row" class="mono">(F\d+)<\/th>/g)].map(
      (m) => `${m[2]}:${m[1]}`,
    );
    expect(rows).toEqual(["F2:open", "F10:open", "F1:resolved"]);
    expect(html).toContain("a.ts:3 leaks\nmore");
    expect(html).toMatch(/badge-finding-open[\s\S]*Open <span class="findings-when">since iteration 4/);
    expect(html).toMatch(/Resolved <span class="findings-when">in iteration 3/);
    expect(html).toMatch(/data-label="first">3<\/td><td[^>]*data-label="last">4<\/td>/);
  });

  it("says when there is nothing yet", () => {
    expect(renderToStaticMarkup(<FindingsList findings={[]} />)).toContain(
      "The reviewer has reported no findings yet.",
    );
  });
});
