import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ArtifactStore, iterationFile, readRegularFile } from "../src/artifacts.ts";

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

describe("ArtifactStore never follows a link", () => {
  const setup = () => {
    root = mkdtempSync(join(tmpdir(), "loop-art-"));
    const outside = join(root, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret.md"), "secret");
    return { store: new ArtifactStore(join(root, "loops")), outside };
  };

  it("creates folders 0700 and files 0600", async () => {
    const { store } = setup();
    await store.write("T1", "task.md", "x");
    expect(statSync(store.root).mode & 0o777).toBe(0o700);
    expect(statSync(store.dir("T1")).mode & 0o777).toBe(0o700);
    expect(statSync(store.path("T1", "task.md")).mode & 0o777).toBe(0o600);
  });

  it("replaces a link planted under an artifact's name instead of writing through it", async () => {
    const { store, outside } = setup();
    await store.write("T1", "task.md", "x");
    symlinkSync(join(outside, "secret.md"), store.path("T1", "result.md"));
    await store.write("T1", "result.md", "the result");
    expect(readFileSync(join(outside, "secret.md"), "utf8")).toBe("secret");
    expect(lstatSync(store.path("T1", "result.md")).isSymbolicLink()).toBe(false);
    expect(await store.read("T1", "result.md")).toBe("the result");
  });

  it("refuses to write into, list or read a task folder that is a link", async () => {
    const { store, outside } = setup();
    mkdirSync(store.root, { recursive: true });
    symlinkSync(outside, store.dir("T2"));
    await expect(store.write("T2", "task.md", "x")).rejects.toThrow(/not a plain directory/);
    expect(existsSync(join(outside, "task.md"))).toBe(false);
    expect(await store.list("T2")).toEqual([]);
    expect(await store.read("T2", "secret.md")).toBeUndefined();
    await store.remove("T2");
    expect(existsSync(store.dir("T2"))).toBe(false);
    expect(readFileSync(join(outside, "secret.md"), "utf8")).toBe("secret");
  });

  it("works under a root reached through a link (the root is resolved once)", async () => {
    const { store } = setup();
    await store.write("T1", "task.md", "x");
    const linked = new ArtifactStore(join(root, "linked-root"));
    symlinkSync(store.root, linked.root);
    expect(await linked.read("T1", "task.md")).toBe("x");
    expect(await linked.list("T1")).toEqual([{ name: "task.md", size: 1 }]);
  });

  it("readRegularFile: plain single-link files only", async () => {
    const { outside } = setup();
    const file = join(outside, "secret.md");
    expect(await readRegularFile(file)).toBe("secret");
    symlinkSync(file, join(outside, "link.md"));
    expect(await readRegularFile(join(outside, "link.md"))).toBeUndefined();
    linkSync(file, join(outside, "hard.md"));
    expect(await readRegularFile(join(outside, "hard.md"))).toBeUndefined();
    expect(await readRegularFile(outside)).toBeUndefined();
    expect(await readRegularFile(join(outside, "missing.md"))).toBeUndefined();
  });
});
