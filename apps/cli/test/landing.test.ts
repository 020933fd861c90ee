import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { fakeGh, ghDir } from "../../server/test/fake-gh.ts";
import { startServer } from "../../server/test/process.ts";
import { claude, codex, scenario } from "../../server/test/scenarios.ts";
import { EXIT } from "../src/exit-codes.ts";
import { cli, workdir } from "./run.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const envFor = (d: string, extra: Record<string, string> = {}) => ({
  LOOP_DB_PATH: join(d, "loop.db"),
  ...extra,
});

/** A git repository on main whose task writes notes.txt. */
function repo(d: string, name: string): string {
  const wd = workdir(
    d,
    name,
    scenario({
      claude: [claude.ok("wrote it", { write: { path: "notes.txt", content: "one\n" } })],
      codex: [codex.review("STATUS: DONE")],
    }),
  );
  git(wd, "init", "-q", "-b", "main");
  writeFileSync(join(wd, ".gitignore"), ".fake-state/\n");
  git(wd, "add", "-A");
  git(wd, "commit", "-q", "-m", "initial");
  return wd;
}

/** `add --worktree --wait` in wd; returns the task id. */
async function worktreeTask(d: string, wd: string): Promise<string> {
  const r = await cli(
    ["add", "--title", "Add notes", "--prompt", "Write notes.txt", "--max", "1", "--worktree", "--wait"],
    envFor(d, { INIT_CWD: wd }),
  ).done;
  expect(r.code, r.stderr).toBe(EXIT.ok);
  return r.stderr.split(" ")[1]!.replace(":", "");
}

describe("pnpm loop merge, pr, patch, discard", () => {
  it("patch > file applies with git am; merge refuses a dirty tree (exit 1, naming the file), then squashes", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-cli-"));
    const d = dir;
    await startServer(d);
    const wd = repo(d, "work");
    const id = await worktreeTask(d, wd);

    const patch = await cli(["patch", id], envFor(d)).done;
    expect(patch.code, patch.stderr).toBe(EXIT.ok);
    expect(patch.stdout).toMatch(/^From [0-9a-f]{40} /);
    const clone = join(d, "clone");
    git(d, "clone", "-q", wd, clone);
    writeFileSync(join(d, "task.patch"), patch.stdout);
    git(clone, "am", "-q", join(d, "task.patch"));
    expect(readFileSync(join(clone, "notes.txt"), "utf8")).toBe("one\n");

    writeFileSync(join(wd, ".gitignore"), ".fake-state/\nmine\n");
    const dirty = await cli(["merge", id, "--squash"], envFor(d)).done;
    expect(dirty.code).toBe(EXIT.error);
    expect(dirty.stderr).toContain("working_tree_dirty");
    expect(dirty.stderr).toContain(".gitignore");
    git(wd, "checkout", "--", ".gitignore");

    const merged = await cli(["merge", id, "--squash"], envFor(d)).done;
    expect(merged.code, merged.stderr).toBe(EXIT.ok);
    const head = git(wd, "rev-parse", "HEAD").trim();
    expect(merged.stdout).toBe(`Squashed loop/${id} into main as ${head.slice(0, 12)}\n`);
    expect(readFileSync(join(wd, "notes.txt"), "utf8")).toBe("one\n");

    const discarded = await cli(["discard", id], envFor(d)).done;
    expect(discarded.code, discarded.stderr).toBe(EXIT.ok);
    expect(discarded.stdout).toMatch(
      new RegExp(`^Discarded loop/${id} \\(its worktree and branch removed; it was at [0-9a-f]{12}\\)\\n$`),
    );
    expect(git(wd, "branch", "--list", `loop/${id}`)).toBe("");
    const gone = await cli(["merge", id], envFor(d)).done;
    expect([gone.code, gone.stderr.includes("no_branch")]).toEqual([EXIT.error, true]);
  });

  it("pr pushes the branch and prints the pull request's address", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-cli-"));
    const d = dir;
    const gh = fakeGh(ghDir());
    await startServer(d, { LOOP_GH_BIN: gh.bin });
    const wd = repo(d, "work");
    const remote = join(d, "remote.git");
    git(d, "init", "-q", "--bare", remote);
    git(wd, "remote", "add", "origin", remote);
    const id = await worktreeTask(d, wd);

    const r = await cli(["pr", id, "--title", "Notes at last"], envFor(d)).done;
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toBe("https://github.com/example/repo/pull/7\n");
    expect(git(remote, "rev-parse", `refs/heads/loop/${id}`).trim()).toBe(
      git(wd, "rev-parse", `loop/${id}`).trim(),
    );
    expect(gh.calls().find((c) => c.argv[0] === "pr")?.argv).toContain("Notes at last");
  });
});
