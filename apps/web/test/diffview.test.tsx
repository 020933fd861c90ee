import type { Changes, DiffHunk } from "@loop/shared";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import ChangesView from "../src/features/changes/ChangesView.tsx";
import { FileDiff } from "../src/features/changes/FileDiff.tsx";
import {
  HIGHLIGHT_MAX_LINES,
  highlightable,
  highlightHunks,
  loadGrammar,
  whenIdle,
} from "../src/features/changes/highlight.ts";
import { languageOf } from "../src/features/changes/languages.ts";
import { storedLayout } from "../src/features/changes/layout.ts";
import { fileViews, hunkData } from "../src/features/changes/view.ts";

const hunk = (newStart: number, lines: string[]): DiffHunk => ({
  header: `@@ -${newStart},0 +${newStart},${lines.length} @@`,
  oldStart: newStart,
  oldLines: 0,
  newStart,
  newLines: lines.length,
  lines: lines.map((text) => ({ kind: "add" as const, text })),
});

const JS = ["export function add(a, b) {", "  // sum", '  return a + b + "x";', "}"];

const changes = (files: { path: string; lines: string[] }[]): Changes => ({
  title: "Changes in iteration 1",
  kind: "git",
  added: files.reduce((n, f) => n + f.lines.length, 0),
  deleted: 0,
  files: files.map(({ path, lines }) => ({
    path,
    oldPath: null,
    status: "added",
    added: lines.length,
    deleted: 0,
    binary: false,
    patch: { header: [`diff --git a/${path} b/${path}`], hunks: [hunk(1, lines)] },
  })),
  omitted: [],
  notes: [],
});

describe("which grammar a file is read with", () => {
  it("by extension, by base name, and none for what it does not know", () => {
    expect(
      ["src/a.ts", "App.TSX", "x.mjs", "README.md", "a/b/Dockerfile", "Makefile", "c.yml", "index.html"].map(
        languageOf,
      ),
    ).toEqual([
      "typescript",
      "typescript",
      "javascript",
      "markdown",
      "dockerfile",
      "makefile",
      "yaml",
      "xml",
    ]);
    expect(["LICENSE", "a.unknown", ".gitignore", "x.constructor", "toString"].map(languageOf)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe("highlighting", () => {
  it("nothing until the grammar has loaded; then each side's lines as highlight.js tokens", async () => {
    const hunks = [hunkData(hunk(1, JS))];
    expect(highlightHunks(hunks, "rust")).toBeNull();
    await loadGrammar("javascript");
    const tokens = highlightHunks(hunks, "javascript");
    expect(tokens?.new).toHaveLength(JS.length);
    const classes = JSON.stringify(tokens?.new);
    for (const c of ["hljs-keyword", "hljs-title", "hljs-comment", "hljs-string"])
      expect(classes).toContain(c);
  });

  it("first paints every file plain: a known language's is marked for highlighting later", async () => {
    await loadGrammar("javascript");
    const html = renderToStaticMarkup(
      <ChangesView
        changes={changes([
          { path: "math.js", lines: JS },
          { path: "NOTES", lines: ["function is a word here"] },
        ])}
      />,
    );
    const [js, notes] = html.split('data-path="NOTES"');
    expect(js).toMatch(/data-language="javascript"/);
    expect(js).toContain("return a + b");
    expect(html).not.toContain("hljs-");
    expect(notes).not.toContain("data-language");
    expect(notes).toContain("function is a word here");
  });

  it("runs highlighting jobs one per idle moment, in order; a cancelled one never runs", async () => {
    const ran: string[] = [];
    whenIdle(() => ran.push("a"));
    const cancel = whenIdle(() => ran.push("b"));
    whenIdle(() => ran.push("c"));
    cancel();
    expect(ran).toEqual([]);
    await vi.waitFor(() => expect(ran).toEqual(["a", "c"]));
  });

  it("leaves a file too large to highlight plain, and says so", async () => {
    await loadGrammar("javascript");
    const lines = Array.from({ length: HIGHLIGHT_MAX_LINES + 1 }, (_, i) => `const a${i} = ${i};`);
    const [view] = fileViews(changes([{ path: "big.js", lines }]));
    expect(highlightable(view!.hunks)).toBe(false);
    const html = renderToStaticMarkup(
      <FileDiff view={view!} open layout="unified" onToggle={() => {}} detailsRef={() => {}} />,
    );
    expect(html).toContain("Too large to highlight: shown as plain text.");
    expect(html).not.toContain("hljs-");
  });
});

describe("the file list and the layout", () => {
  it("lists every file with its counts, as buttons, above the diffs", () => {
    const html = renderToStaticMarkup(
      <ChangesView
        changes={changes([
          { path: "a.js", lines: JS },
          { path: "b.md", lines: ["# B"] },
        ])}
      />,
    );
    const list = /<ul class="changes-files" aria-label="Files">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? "";
    expect([...list.matchAll(/<button type="button">/g)]).toHaveLength(2);
    expect(list).toMatch(/a\.js[\s\S]*4 lines added, 0 deleted[\s\S]*b\.md[\s\S]*1 line added, 0 deleted/);
    expect(html.indexOf("changes-files")).toBeLessThan(html.indexOf("<details"));
    // Unified by default, with the switch offered.
    expect(html).toMatch(/aria-pressed="true"[^>]*>Unified/);
    expect(html).toContain("diff-unified");
    expect(storedLayout()).toBe("unified");
  });

  it("a single file has no list; split draws both sides in one row", () => {
    const one = changes([{ path: "a.js", lines: JS }]);
    expect(renderToStaticMarkup(<ChangesView changes={one} />)).not.toContain("changes-files");
    const [view] = fileViews(one);
    const html = renderToStaticMarkup(
      <FileDiff view={view!} open layout="split" onToggle={() => {}} detailsRef={() => {}} />,
    );
    expect(html).toContain("diff-split");
    expect(html).not.toContain("diff-unified");
  });
});
