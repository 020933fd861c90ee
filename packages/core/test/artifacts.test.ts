import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactStore, iterationFile } from "../src/artifacts.ts";

let root: string;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("ArtifactStore", () => {
  it("names iteration files with three digits", () => {
    expect(iterationFile(1, "claude", "prompt")).toBe("001-claude-prompt.md");
    expect(iterationFile(42, "codex", "output")).toBe("042-codex-output.md");
  });

  it("writes atomically, lists .md files sorted with sizes, reads them back", async () => {
    root = mkdtempSync(join(tmpdir(), "loop-art-"));
    const store = new ArtifactStore(root);
    await store.write("T1", "task.md", "# hello\n");
    await store.write("T1", "001-claude-prompt.md", "é");
    expect(await store.list("T1")).toEqual([
      { name: "001-claude-prompt.md", size: 2 },
      { name: "task.md", size: 8 },
    ]);
    expect(await store.read("T1", "task.md")).toBe("# hello\n");
    expect(readdirSync(join(root, "T1")).some((n) => n.endsWith(".tmp"))).toBe(false);
    expect(await store.list("nope")).toEqual([]);
  });

  it("refuses names that could leave the task folder", async () => {
    root = mkdtempSync(join(tmpdir(), "loop-art-"));
    const store = new ArtifactStore(root);
    await store.write("T1", "task.md", "x");
    for (const bad of ["../T1/task.md", "..%2Ftask.md", ".hidden.md", "task.txt", "a/b.md", "..md"]) {
      expect(await store.read("T1", bad)).toBeUndefined();
    }
    expect(await store.read("../T1", "task.md")).toBeUndefined();
    await expect(store.write("T1", "../x.md", "x")).rejects.toThrow(/invalid artifact name/);
  });
});
