import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
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
import { Changes as SharedChanges } from "@loop/shared";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  type Changes,
  diff,
  diffAll,
  patchOf,
  renderChanges,
  type Snapshot,
  snapshot,
} from "../src/changes/index.ts";
import { gitEnv, git as sh } from "./fixtures/git.ts";

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "loop-changes-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(dir: string, files: Record<string, string | Buffer>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A repository with one commit holding `files`. */
function repo(files: Record<string, string | Buffer> = { "README.md": "hello\n" }): string {
  const dir = tempDir();
  sh(dir, "init", "-q", "-b", "main");
  write(dir, files);
  sh(dir, "add", "-A");
  sh(dir, "commit", "-q", "-m", "initial");
  return dir;
}

const opts = { env: gitEnv };
/** Snapshot before, change, snapshot after, diff. */
async function change(dir: string, edit: () => void, extra: Parameters<typeof diff>[2] = {}) {
  const before = await snapshot(dir, opts);
  edit();
  const after = await snapshot(dir, opts);
  return { before, after, changes: await diff(before, after, { ...opts, ...extra }) };
}

const byPath = (c: Changes) => Object.fromEntries(c.files.map((f) => [f.path, f]));
/** The file list without each file's patch. */
const listed = (c: Changes) => c.files.map(({ patch: _, ...f }) => f);

/** Everything in .git but its objects, byte for byte, plus what git says of HEAD, refs, stash and status. */
function userGitState(dir: string) {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, ".git", rel))) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === "objects") continue;
      const abs = join(dir, ".git", path);
      if (statSync(abs).isDirectory()) walk(path);
      else files[path] = createHash("sha1").update(readFileSync(abs)).digest("hex");
    }
  };
  walk("");
  return {
    files,
    head: sh(dir, "rev-parse", "HEAD"),
    branch: sh(dir, "symbolic-ref", "HEAD"),
    refs: sh(dir, "for-each-ref", "--format=%(refname) %(objectname)"),
    stash: sh(dir, "stash", "list"),
    // Last: with GIT_OPTIONAL_LOCKS=0 it does not refresh the index, so it cannot hide a change.
    status: sh(dir, "status", "--porcelain=v1", "--untracked-files=all"),
  };
}

describe("changes in a git repository", () => {
  it("a tracked edit: the diff in a ```diff fence with a summary line", async () => {
    const dir = repo({ "src/a.ts": "one\ntwo\nthree\n" });
    const { changes } = await change(dir, () => write(dir, { "src/a.ts": "one\nTWO\nthree\nfour\n" }));
    expect(changes.kind).toBe("git");
    expect(listed(changes)).toEqual([
      { path: "src/a.ts", oldPath: null, status: "modified", added: 2, deleted: 1, binary: false },
    ]);
    expect(changes.markdown).toContain(
      "# Changes\n\n1 file changed, +2 -1\n\n- modified `src/a.ts` (+2 -1)\n",
    );
    expect(changes.markdown).toMatch(
      /```diff\ndiff --git a\/src\/a\.ts b\/src\/a\.ts\n[\s\S]*-two\n\+TWO\n three\n\+four\n```/,
    );
    expect(changes.omitted).toEqual([]);
  });

  it("a new untracked file is included", async () => {
    const dir = repo();
    const { changes } = await change(dir, () => write(dir, { "notes/new.md": "fresh\n" }));
    expect(byPath(changes)["notes/new.md"]).toMatchObject({ status: "added", added: 1, deleted: 0 });
    expect(patchOf(changes)).toContain("new file mode 100644");
    expect(patchOf(changes)).toContain("+fresh");
  });

  it("a file added in one run and edited in the next shows only the edit in the second", async () => {
    const dir = repo();
    const s0 = await snapshot(dir, opts);
    write(dir, { "new.txt": "line 1\nline 2\n" });
    const s1 = await snapshot(dir, opts);
    write(dir, { "new.txt": "line 1\nline 2 edited\n" });
    const s2 = await snapshot(dir, opts);

    const first = await diff(s0, s1, opts);
    expect(byPath(first)["new.txt"]).toMatchObject({ status: "added", added: 2, deleted: 0 });
    const second = await diff(s1, s2, { ...opts, title: "Changes in iteration 2" });
    expect(second.markdown.startsWith("# Changes in iteration 2\n")).toBe(true);
    expect(byPath(second)["new.txt"]).toMatchObject({ status: "modified", added: 1, deleted: 1 });
    expect(patchOf(second)).not.toContain("new file mode");
    expect(patchOf(second)).not.toContain("+line 1");
    // The whole task: one added file with its final content.
    const all = await diffAll([s0, s1, s2], opts);
    expect(byPath(all)["new.txt"]).toMatchObject({ status: "added", added: 2, deleted: 0 });
    expect(patchOf(all)).toContain("+line 2 edited");
  });

  it("a deleted file, and a renamed one", async () => {
    const dir = repo({ "gone.txt": "bye\n", "old/name.ts": "export const x = 1;\n".repeat(20) });
    const { changes } = await change(dir, () => {
      rmSync(join(dir, "gone.txt"));
      mkdirSync(join(dir, "new"));
      writeFileSync(join(dir, "new/name.ts"), readFileSync(join(dir, "old/name.ts")));
      rmSync(join(dir, "old"), { recursive: true });
    });
    expect(listed(changes)).toEqual([
      { path: "gone.txt", oldPath: null, status: "deleted", added: 0, deleted: 1, binary: false },
      { path: "new/name.ts", oldPath: "old/name.ts", status: "renamed", added: 0, deleted: 0, binary: false },
    ]);
    expect(changes.markdown).toContain("- deleted `gone.txt` (+0 -1)");
    expect(changes.markdown).toContain("- renamed `old/name.ts` → `new/name.ts` (+0 -0)");
  });

  it("a binary file is named, not dumped", async () => {
    const dir = repo();
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0x00, 0xfe,
    ]);
    const { changes } = await change(dir, () => write(dir, { "img/logo.png": png }));
    expect(byPath(changes)["img/logo.png"]).toMatchObject({ status: "added", binary: true, added: null });
    expect(changes.markdown).toContain("1 file changed, +0 -0, 1 binary (img/logo.png)");
    expect(changes.markdown).toContain("- added `img/logo.png` (binary)");
    expect(patchOf(changes)).toContain("Binary files /dev/null and b/img/logo.png differ");
  });

  it("sees an edit that keeps the size, made in the same clock tick as the user's last index write", async () => {
    const dir = repo({ "a.txt": "aaaa\n" });
    for (const content of ["bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n"]) {
      sh(dir, "add", "a.txt");
      const before = await snapshot(dir, opts);
      write(dir, { "a.txt": content });
      const after = await snapshot(dir, opts);
      expect((await diff(before, after, opts)).files.map((f) => f.path)).toEqual(["a.txt"]);
    }
  });

  it("respects .gitignore", async () => {
    const dir = repo({ ".gitignore": "dist/\n*.log\n", "a.txt": "a\n" });
    const { changes } = await change(dir, () =>
      write(dir, { "dist/bundle.js": "x", "debug.log": "noise", "a.txt": "b\n" }),
    );
    expect(changes.files.map((f) => f.path)).toEqual(["a.txt"]);
  });

  it("caps a huge diff per file and in all, cutting between hunks, with a note", async () => {
    const many = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i}`).join("\n");
    const dir = repo({ "big.txt": `${many("line", 4000)}\n`, "small.txt": "s\n" });
    const { changes } = await change(
      dir,
      () => {
        // Every 50th line changes: many hunks in big.txt.
        const edited = Array.from({ length: 4000 }, (_, i) => (i % 50 === 0 ? `LINE ${i}` : `line ${i}`));
        write(dir, { "big.txt": `${edited.join("\n")}\n`, "small.txt": "t\n" });
        for (let i = 0; i < 30; i++)
          write(dir, { [`gen/f${String(i).padStart(2, "0")}.txt`]: `${many("g", 400)}\n` });
      },
      { maxBytes: 16 * 1024, maxFileBytes: 4 * 1024 },
    );
    expect(changes.files).toHaveLength(32);
    expect(changes.added).toBe(80 + 1 + 30 * 400);
    expect(Buffer.byteLength(patchOf(changes))).toBeLessThanOrEqual(16 * 1024);
    const big = changes.omitted.find((o) => o.path === "big.txt");
    expect(big?.reason).toBe("file_cap");
    expect(big?.shownHunks).toBeGreaterThan(0);
    expect(big?.shownHunks).toBeLessThan(80);
    // A file over its own cap does not stop the next ones; the total cap does.
    expect(patchOf(changes)).toContain("diff --git a/gen/f00.txt b/gen/f00.txt");
    const unseen = changes.omitted.filter((o) => o.reason === "total_cap").map((o) => o.path);
    expect(unseen.length).toBeGreaterThan(20);
    expect(unseen).toContain("small.txt");
    for (const path of unseen) expect(patchOf(changes)).not.toContain(`b/${path}\n`);
    expect(changes.markdown).toMatch(
      /> The diff of a file is capped in size; cut short: `big\.txt` \(\d+ hunks shown\)/,
    );
    expect(changes.markdown).toMatch(
      /> The diff is capped in size; not shown \(their line counts are above\): .*`gen\/f29\.txt`/,
    );
    // What is kept still parses: each hunk has as many lines as its header says.
    for (const hunk of patchOf(changes)
      .split(/\n(?=@@|diff --git )/)
      .filter((h) => h.startsWith("@@"))) {
      const [, oldN = "1", newN = "1"] = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(hunk)!;
      const body = hunk.split("\n").slice(1);
      expect(body.filter((l) => !l.startsWith("+")).length).toBe(Number(oldN));
      expect(body.filter((l) => !l.startsWith("-")).length).toBe(Number(newN));
    }
  });

  it("uses a longer fence when the diff holds a line that would close ```", async () => {
    const dir = repo({ "doc.md": "```\ncode\n```\n" });
    const { changes } = await change(dir, () => write(dir, { "doc.md": "```\ncode!\n```\n" }));
    expect(changes.markdown).toContain("````diff\n");
    expect(changes.markdown.trimEnd().endsWith("\n````")).toBe(true);
  });

  it("no change: a short note and no fence", async () => {
    const dir = repo();
    const { changes } = await change(dir, () => undefined);
    expect(changes.files).toEqual([]);
    expect(changes.markdown).toBe("# Changes\n\nNo files changed.\n");
  });

  it("a working directory below the top level: its own files, with paths relative to it", async () => {
    const top = repo({ "app/src/a.ts": "a\n", "other/b.ts": "b\n" });
    const dir = join(top, "app");
    const { changes } = await change(dir, () => write(top, { "app/src/a.ts": "A\n", "other/b.ts": "B\n" }));
    expect(changes.files.map((f) => f.path)).toEqual(["src/a.ts"]);
    expect(patchOf(changes)).toContain("diff --git a/src/a.ts b/src/a.ts");
  });

  it("leaves out excluded paths (loop's own artifacts inside the working directory)", async () => {
    const dir = repo();
    const exclude = [join(dir, ".loops"), "/elsewhere/entirely"];
    const before = await snapshot(dir, { ...opts, exclude });
    write(dir, { ".loops/t1/001-claude-output.md": "x", "a.txt": "a\n" });
    const after = await snapshot(dir, { ...opts, exclude });
    expect(before.kind === "git" && before.exclude).toEqual([".loops"]);
    expect((await diff(before, after, opts)).files.map((f) => f.path)).toEqual(["a.txt"]);
  });

  it("works in a repository without commits, and with a cached index", async () => {
    const dir = tempDir();
    sh(dir, "init", "-q");
    const cache = join(tempDir(), "index");
    const before = await snapshot(dir, { ...opts, indexCache: cache });
    write(dir, { "a.txt": "a\n" });
    const after = await snapshot(dir, { ...opts, indexCache: cache });
    const again = await snapshot(dir, { ...opts, indexCache: cache });
    expect(again.kind === "git" && after.kind === "git" && again.tree === after.tree).toBe(true);
    expect((await diff(before, after, opts)).files.map((f) => f.path)).toEqual(["a.txt"]);
    expect(readdirSync(join(dir, ".git")).includes("index")).toBe(false);
  });

  it("snapshots during a merge conflict without touching it", async () => {
    const dir = repo({ "c.txt": "base\n", "sub/x.txt": "x\n" });
    sh(dir, "checkout", "-q", "-b", "other");
    write(dir, { "c.txt": "other\n" });
    sh(dir, "commit", "-q", "-am", "other");
    sh(dir, "checkout", "-q", "main");
    write(dir, { "c.txt": "main\n" });
    sh(dir, "commit", "-q", "-am", "main");
    expect(() => sh(dir, "merge", "-q", "other")).toThrow();
    const state = userGitState(dir);
    const { changes } = await change(join(dir, "sub"), () => write(dir, { "sub/x.txt": "y\n" }));
    expect(changes.files.map((f) => f.path)).toEqual(["x.txt"]);
    expect(userGitState(dir)).toEqual({ ...state, status: `${state.status} M sub/x.txt\n` });
  });

  it("leaves the user's HEAD, index, refs, stash, config and status exactly as they were", async () => {
    const dir = repo({ "a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n" });
    sh(dir, "branch", "feature");
    write(dir, { "c.txt": "stashed\n" });
    sh(dir, "stash", "-q");
    write(dir, { "a.txt": "staged\n" });
    sh(dir, "add", "a.txt");
    write(dir, { "a.txt": "staged then edited\n", "b.txt": "unstaged\n", "untracked.txt": "u\n" });
    const state = userGitState(dir);

    const s0 = await snapshot(dir, opts);
    write(dir, { "b.txt": "by the agent\n", "agent.txt": "new\n" });
    rmSync(join(dir, "untracked.txt"));
    const s1 = await snapshot(dir, opts);
    const changes = await diff(s0, s1, opts);
    await diffAll([s0, s1], opts);

    expect(changes.files.map((f) => `${f.status} ${f.path}`)).toEqual([
      "added agent.txt",
      "modified b.txt",
      "deleted untracked.txt",
    ]);
    const now = userGitState(dir);
    // The agent's own edits show in status, and nothing else moved.
    const lines = (status: string) => status.split("\n").filter(Boolean).sort();
    expect(lines(now.status)).toEqual(
      [...lines(state.status).filter((l) => l !== "?? untracked.txt"), "?? agent.txt"].sort(),
    );
    expect({ ...now, status: "" }).toEqual({ ...state, status: "" });
    expect(sh(dir, "diff", "--cached", "--name-only")).toBe("a.txt\n");
  });

  it("works in a linked worktree, leaving both checkouts' state alone", async () => {
    const main = repo({ "a.txt": "a\n" });
    const wt = join(tempDir(), "wt");
    sh(main, "worktree", "add", "-q", "-b", "loop/t1", wt);
    const state = userGitState(main);
    const wtIndex = readFileSync(join(main, ".git/worktrees/wt/index"));
    const { changes } = await change(wt, () => write(wt, { "a.txt": "b\n", "n.txt": "n\n" }));
    expect(changes.files.map((f) => `${f.status} ${f.path}`)).toEqual(["modified a.txt", "added n.txt"]);
    expect(userGitState(main)).toEqual(state);
    expect(readFileSync(join(main, ".git/worktrees/wt/index")).equals(wtIndex)).toBe(true);
  });

  it("a snapshot whose tree is gone (pruned) gives a note, not an error", async () => {
    const dir = repo();
    const after = await snapshot(dir, opts);
    const before: Snapshot = { ...(after as Extract<Snapshot, { kind: "git" }>), tree: "0".repeat(40) };
    const changes = await diff(before, after, opts);
    expect(changes.kind).toBe("none");
    expect(changes.markdown).toMatch(
      /^# Changes\n\nThe diff could not be computed: git diff-tree exited with code 128/,
    );
  });
});

describe("changes outside git", () => {
  it("lists added, modified and deleted files by size and hash, skipping node_modules", async () => {
    const dir = tempDir();
    write(dir, { "keep.txt": "same\n", "edit.txt": "v1\n", "gone.txt": "x\n", "node_modules/p/i.js": "1" });
    const { before, changes } = await change(dir, () => {
      write(dir, { "edit.txt": "v2\n", "deep/new.txt": "hello\n", "node_modules/p/i.js": "2" });
      rmSync(join(dir, "gone.txt"));
    });
    expect(before.kind).toBe("files");
    expect(changes.kind).toBe("files");
    expect(changes.files.map((f) => `${f.status} ${f.path}`)).toEqual([
      "added deep/new.txt",
      "modified edit.txt",
      "deleted gone.txt",
    ]);
    expect(changes.markdown).toBe(
      [
        "# Changes",
        "",
        "Not a git repository: the files that changed, compared by size and content (no line diff).",
        "",
        "3 files changed: 1 added, 1 modified, 1 deleted.",
        "",
        "- added `deep/new.txt` (6 B)",
        "- modified `edit.txt` (3 B → 3 B)",
        "- deleted `gone.txt` (2 B)",
        "",
      ].join("\n"),
    );
  });

  it("hashes small and large files alike, records links by target, skips a FIFO without blocking, and lets the event loop run", async () => {
    const dir = tempDir();
    const small = "small\n";
    const large = Buffer.alloc(600 * 1024, 7); // read asynchronously (over 256 KiB)
    write(dir, { "small.txt": small, "large.bin": large });
    symlinkSync("small.txt", join(dir, "link"));
    execFileSync("mkfifo", [join(dir, "pipe")]);
    for (let i = 0; i < 3000; i++) write(dir, { [`many/f${i}.txt`]: `${i}` });
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const s = await snapshot(dir, opts);
    ticking = false;
    if (s.kind !== "files") throw new Error(`expected a files snapshot, got ${s.kind}`);
    const byPath = new Map(s.files.map((f) => [f.path, f]));
    const sha1 = (b: string | Buffer) => createHash("sha1").update(b).digest("hex");
    expect(byPath.get("small.txt")?.hash).toBe(sha1(small));
    expect(byPath.get("large.bin")?.hash).toBe(sha1(large));
    expect(byPath.get("link")?.hash).toBe("link:small.txt");
    expect(byPath.has("pipe")).toBe(false);
    expect(s.files).toHaveLength(3003);
    expect(turns).toBeGreaterThan(1);
  });

  it("says when the snapshot was capped", async () => {
    const dir = tempDir();
    for (let i = 0; i < 12; i++) write(dir, { [`f${String(i).padStart(2, "0")}.txt`]: `${i}` });
    write(dir, { "big.bin": Buffer.alloc(2048) });
    const limits = { maxFiles: 10, maxFileBytes: 1024 };
    const s = await snapshot(dir, { ...opts, limits });
    expect(s.kind === "files" && s.files.length).toBe(10);
    const changes = await diff(s, await snapshot(dir, { ...opts, limits }), opts);
    expect(changes.markdown).toContain("> The snapshot is incomplete (only the first 10 files are listed");
  });

  it("a directory that cannot be read, or one that became a repository", async () => {
    const missing = await snapshot(join(tmpdir(), "loop-no-such-dir-for-sure"));
    expect(missing.kind).toBe("unavailable");
    const dir = tempDir();
    const plain = await snapshot(dir, opts);
    sh(dir, "init", "-q");
    const git = await snapshot(dir, opts);
    expect((await diff(plain, git, opts)).markdown).toBe(
      "# Changes\n\nThe working directory became a git repository during this run; nothing to compare.\n",
    );
    expect((await diff(missing, plain, opts)).notes[0]).toMatch(/^The working directory could not be read: /);
    expect((await diffAll([], opts)).notes).toEqual(["No snapshot was taken."]);
  });
});

describe("changes as data, the Markdown rendered from it", () => {
  it("the files' patches are git's own diff, line for line; stored and read back, they render the same Markdown", async () => {
    const dir = repo({
      "a.txt": "one\ntwo\nthree\n",
      "tail.txt": "no newline",
      "gone.txt": "bye\n",
      "run.sh": "echo hi\n",
      "old/name.ts": "export const x = 1;\n".repeat(20),
    });
    const { before, after, changes } = await change(dir, () => {
      write(dir, { "a.txt": "one\nTWO\nthree\nfour\n", "tail.txt": "no newline, still", "empty.txt": "" });
      rmSync(join(dir, "gone.txt"));
      chmodSync(join(dir, "run.sh"), 0o755);
      mkdirSync(join(dir, "new"));
      writeFileSync(join(dir, "new/name.ts"), readFileSync(join(dir, "old/name.ts")));
      rmSync(join(dir, "old"), { recursive: true });
    });
    if (before.kind !== "git" || after.kind !== "git") throw new Error("not git");
    const git = sh(
      dir,
      "diff-tree",
      "-r",
      "-M",
      "--no-ext-diff",
      "--no-textconv",
      "-p",
      "--no-color",
      before.tree,
      after.tree,
    );
    expect(patchOf(changes)).toBe(git.replace(/\n$/, ""));

    const a = byPath(changes)["a.txt"]!;
    expect(a.patch?.header[0]).toBe("diff --git a/a.txt b/a.txt");
    expect(a.patch?.hunks).toEqual([
      {
        header: "@@ -1,3 +1,4 @@",
        oldStart: 1,
        oldLines: 3,
        newStart: 1,
        newLines: 4,
        lines: [
          { kind: "ctx", text: "one" },
          { kind: "del", text: "two" },
          { kind: "add", text: "TWO" },
          { kind: "ctx", text: "three" },
          { kind: "add", text: "four" },
        ],
      },
    ]);
    expect(byPath(changes)["tail.txt"]?.patch?.hunks[0]?.lines).toContainEqual({
      kind: "note",
      text: " No newline at end of file",
    });
    expect(byPath(changes)["empty.txt"]).toMatchObject({ status: "added", patch: { hunks: [] } });
    expect(byPath(changes)["new/name.ts"]?.patch?.header).toContain("rename from old/name.ts");

    const { markdown, ...data } = changes;
    const stored = SharedChanges.parse(JSON.parse(JSON.stringify(data)));
    expect(renderChanges(stored)).toBe(markdown);
  });

  it("the whole Markdown of a small change", async () => {
    const dir = repo({ "a.txt": "a\n" });
    const { changes } = await change(dir, () => write(dir, { "a.txt": "b\n" }), {
      title: "Changes in iteration 1",
    });
    expect(changes.markdown).toBe(
      [
        "# Changes in iteration 1",
        "",
        "1 file changed, +1 -1",
        "",
        "- modified `a.txt` (+1 -1)",
        "",
        "```diff",
        "diff --git a/a.txt b/a.txt",
        "index 7898192..6178079 100644",
        "--- a/a.txt",
        "+++ b/a.txt",
        "@@ -1 +1 @@",
        "-a",
        "+b",
        "```",
        "",
      ].join("\n"),
    );
    expect(changes.files[0]?.patch?.hunks[0]).toMatchObject({
      oldStart: 1,
      oldLines: 1,
      newStart: 1,
      newLines: 1,
    });
  });
});
