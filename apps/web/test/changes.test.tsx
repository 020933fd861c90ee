import type { Finding } from "@loop/shared";
import { parseDiff } from "react-diff-view";
import { renderToStaticMarkup } from "react-dom/server";
import { prerender } from "react-dom/static";
import { describe, expect, it } from "vitest";
import ChangesView from "../src/features/changes/ChangesView.tsx";
import { FindingsList } from "../src/features/changes/FindingsList.tsx";
import { countFindings, findingState, sortFindings } from "../src/features/changes/findings.ts";
import { LazyChangesView } from "../src/features/changes/LazyChangesView.tsx";
import { fileViews, OPEN_MAX_LINES, parseChangesDoc, sectionInfo } from "../src/features/changes/parse.ts";

// An NNN-changes.md as packages/core/src/changes writes it (modified, added, deleted, renamed, binary).
const DIFF = `diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 3367afd..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-old
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..b1560d1
Binary files /dev/null and b/logo.png differ
diff --git a/math.js b/math.js
index 7d65831..c79529d 100644
--- a/math.js
+++ b/math.js
@@ -1,3 +1,4 @@
 export function add(a, b) {
+  if (typeof a !== "number") throw new TypeError("a");
   return a + b;
 }
diff --git a/old.txt b/new.txt
similarity index 100%
rename from old.txt
rename to new.txt
diff --git a/notes.md b/notes.md
new file mode 100644
index 0000000..393711f
--- /dev/null
+++ b/notes.md
@@ -0,0 +1,3 @@
+# Notes
+
+hello`;

const CHANGES_MD = `# Changes in iteration 1

5 files changed, +4 -1, 1 binary (logo.png)

- deleted \`gone.txt\` (+0 -1)
- added \`logo.png\` (binary)
- modified \`math.js\` (+1 -0)
- renamed \`old.txt\` → \`new.txt\` (+0 -0)
- added \`notes.md\` (+3 -0)

> The diff is capped in size; not shown (their line counts are above): \`big.json\`.

\`\`\`diff
${DIFF}
\`\`\`
`;

describe("parseChangesDoc", () => {
  it("splits an NNN-changes.md into title, summary, notes and the diff", () => {
    const doc = parseChangesDoc(CHANGES_MD);
    expect(doc.title).toBe("Changes in iteration 1");
    expect(doc.summary).toBe("5 files changed, +4 -1, 1 binary (logo.png)");
    expect(doc.notes).toEqual([
      "The diff is capped in size; not shown (their line counts are above): `big.json`.",
    ]);
    expect(doc.diff).toBe(DIFF);
    expect(doc.fileList).toHaveLength(5);
  });

  it("takes a raw unified diff as it is", () => {
    expect(parseChangesDoc(`${DIFF}\n`)).toEqual({
      title: null,
      summary: null,
      notes: [],
      diff: `${DIFF}\n`,
      fileList: [],
    });
  });

  it("reads a longer fence, which a ``` line inside the diff does not close", () => {
    const inner =
      "diff --git a/d.md b/d.md\n--- a/d.md\n+++ b/d.md\n@@ -1,3 +1,3 @@\n ```\n-code\n+code!\n ```";
    expect(
      parseChangesDoc(`# Changes\n\n1 file changed, +1 -1\n\n\`\`\`\`diff\n${inner}\n\`\`\`\`\n`).diff,
    ).toBe(inner);
  });

  it("outside git: the file list and the sentence saying so, no diff", () => {
    const doc = parseChangesDoc(
      "# Changes\n\nNot a git repository: the files that changed, compared by size and content (no line diff).\n\n" +
        "2 files changed: 1 added, 1 modified, 0 deleted.\n\n- added `a.txt` (2 B)\n- modified `b.txt` (1 B → 3 B)\n",
    );
    expect(doc.diff).toBe("");
    expect(doc.summary).toBe("2 files changed: 1 added, 1 modified, 0 deleted.");
    expect(doc.notes[0]).toMatch(/^Not a git repository/);
    expect(doc.fileList).toEqual(["added `a.txt` (2 B)", "modified `b.txt` (1 B → 3 B)"]);
  });
});

describe("fileViews", () => {
  it("names each file, its status, counts and whether it is binary", () => {
    const views = fileViews(parseDiff(DIFF), DIFF);
    expect(
      views.map(({ label, status, added, deleted, binary, open }) => ({
        label,
        status,
        added,
        deleted,
        binary,
        open,
      })),
    ).toEqual([
      { label: "gone.txt", status: "deleted", added: 0, deleted: 1, binary: false, open: true },
      { label: "logo.png", status: "added", added: 0, deleted: 0, binary: true, open: true },
      { label: "math.js", status: "modified", added: 1, deleted: 0, binary: false, open: true },
      { label: "old.txt → new.txt", status: "renamed", added: 0, deleted: 0, binary: false, open: true },
      { label: "notes.md", status: "added", added: 3, deleted: 0, binary: false, open: true },
    ]);
    expect(sectionInfo(DIFF).map((s) => s.binary)).toEqual([false, true, false, false, false]);
  });

  it("starts large files, and every file of a diff of many files, collapsed", () => {
    const big = `diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n@@ -0,0 +1,${OPEN_MAX_LINES + 1} @@\n${Array.from(
      { length: OPEN_MAX_LINES + 1 },
      (_, i) => `+${i}`,
    ).join("\n")}`;
    expect(fileViews(parseDiff(`${big}\n${DIFF}`), `${big}\n${DIFF}`).map((v) => v.open)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
    const many = Array.from(
      { length: 21 },
      (_, i) => `diff --git a/f${i} b/f${i}\n--- a/f${i}\n+++ b/f${i}\n@@ -1 +1 @@\n-a\n+b`,
    ).join("\n");
    expect(fileViews(parseDiff(many), many).every((v) => !v.open)).toBe(true);
  });
});

describe("ChangesView", () => {
  it("renders one collapsible section per file with a real diff table", () => {
    const html = renderToStaticMarkup(<ChangesView source={CHANGES_MD} />);
    expect(html).toContain('aria-label="Changes in iteration 1"');
    expect(html.match(/<details/g)).toHaveLength(5);
    expect(html).toContain("old.txt → new.txt");
    expect(html).toContain("Binary file: its content is not shown.");
    expect(html).toMatch(/class="diff[^"]*"/);
    expect(html).toMatch(/diff-code-insert[^>]*>.*typeof a/);
    expect(html).toContain("Expand all");
    expect(html).toContain("big.json");
  });

  it("renders nothing of a collapsed file but its header", () => {
    const many = Array.from(
      { length: 21 },
      (_, i) => `diff --git a/f${i} b/f${i}\n--- a/f${i}\n+++ b/f${i}\n@@ -1 +1 @@\n-a\n+b`,
    ).join("\n");
    const html = renderToStaticMarkup(<ChangesView source={many} label="All changes" />);
    expect(html).toContain('aria-label="All changes"');
    expect(html.match(/<details/g)).toHaveLength(21);
    expect(html).not.toContain("<table");
  });

  it("outside git shows the list of changed files", () => {
    const html = renderToStaticMarkup(
      <ChangesView
        source={"# Changes\n\n1 file changed: 1 added, 0 modified, 0 deleted.\n\n- added `a.txt` (2 B)\n"}
      />,
    );
    expect(html).toContain('aria-label="Changed files"');
    expect(html).toContain("<li>added a.txt (2 B)</li>");
  });

  it("demonstration: the lazy view loads the library on first render and shows the diff", async () => {
    const { prelude } = await prerender(<LazyChangesView source={CHANGES_MD} />);
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
      "Codex has reported no findings yet.",
    );
  });
});
