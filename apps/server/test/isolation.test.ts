import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/**
 * A repository whose HEAD holds the fake CLIs' scenario (a worktree from HEAD has it too), with a
 * stash, a staged edit and an untracked file, so the user's checkout has something to lose.
 */
function userRepo(app: TestApp, s: object): string {
  const wd = app.workdir(s);
  git(wd, "init", "-q", "-b", "main");
  writeFileSync(join(wd, ".gitignore"), ".fake-state/\n");
  writeFileSync(join(wd, "README.md"), "hello\n");
  git(wd, "add", "-A");
  git(wd, "commit", "-q", "-m", "initial");
  writeFileSync(join(wd, "README.md"), "hello\nstashed\n");
  git(wd, "stash", "-q");
  writeFileSync(join(wd, "README.md"), "hello\nstaged\n");
  git(wd, "add", "README.md");
  writeFileSync(join(wd, "README.md"), "hello\nstaged\nunstaged\n");
  writeFileSync(join(wd, "scratch.txt"), "mine\n");
  return wd;
}

/** The user's checkout: HEAD, index, working tree, refs (but loop's own branches) and stash. */
const checkout = (wd: string) => ({
  head: git(wd, "rev-parse", "HEAD"),
  branch: git(wd, "symbolic-ref", "HEAD"),
  index: readFileSync(join(wd, ".git", "index")).toString("base64"),
  status: git(wd, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
  readme: readFileSync(join(wd, "README.md"), "utf8"),
  refs: git(wd, "for-each-ref", "--format=%(refname) %(objectname)")
    .split("\n")
    .filter((l) => !l.startsWith("refs/heads/loop/"))
    .join("\n"),
  stash: git(wd, "stash", "list", "--format=%H %s"),
  config: readFileSync(join(wd, ".git", "config"), "utf8"),
});

/** Every file and folder under .git with a hash of its bytes (folders as "dir"). */
function gitDirState(wd: string): Map<string, string> {
  const root = join(wd, ".git");
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        out.set(`${relative(root, p)}/`, "dir");
        walk(p);
      } else out.set(relative(root, p), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(root);
  return out;
}

async function file(app: TestApp, body: Record<string, unknown>) {
  return app.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add notes", prompt: "Write notes.txt", isolation: "worktree", ...body },
    headers: { "content-type": "application/json" },
  });
}

const settled = (app: TestApp, id: string) => taskEnded(app, id, 30_000);

describe("worktree isolation", () => {
  it("worktree mode end to end (branch, commits, the user's checkout untouched, cleanup)", async () => {
    t = await createTestApp();
    const wd = userRepo(
      t,
      scenario({
        claude: [
          claude.ok("added notes", { write: { path: "notes.txt", content: "one\ntwo\n" } }),
          claude.ok("edited notes", { write: { path: "notes.txt", content: "one\nTWO\n" } }),
        ],
        codex: [
          codex.review("STATUS: ISSUES_FOUND\n- notes.txt: TWO must be upper case"),
          codex.review("STATUS: DONE"),
        ],
      }),
    );
    git(wd, "add", ".fake-scenario.json");
    git(wd, "commit", "-q", "-m", "scenario");
    const base = git(wd, "rev-parse", "HEAD").trim();
    const before = checkout(wd);

    const r = await file(t, { workingDir: wd, maxIterations: 3 });
    expect(r.statusCode, r.body).toBe(201);
    const filed: Task = r.json().task;
    const branch = `loop/${filed.id}`;
    const path = join(t.config.artifactsDir, ".worktrees", filed.id);
    expect(filed).toMatchObject({ isolation: "worktree", worktree: { path, branch } });

    expect(await settled(t, filed.id)).toMatchObject({ status: "done", currentIteration: 2 });

    // One commit per iteration on loop's branch, from the HEAD of the moment, by loop.
    const log = git(wd, "log", "--format=%an <%ae>|%cn <%ce>|%s", `${base}..${branch}`).trim().split("\n");
    expect(log).toEqual([
      "loop <loop@localhost>|loop <loop@localhost>|Add notes (loop iteration 2, review: done)",
      "loop <loop@localhost>|loop <loop@localhost>|Add notes (loop iteration 1, review: issues found)",
    ]);
    expect(git(wd, "rev-parse", `${branch}~2`).trim()).toBe(base);
    expect(git(wd, "show", `${branch}:notes.txt`)).toBe("one\nTWO\n");
    expect(git(wd, "show", "--name-only", "--format=", `${branch}~1`).trim()).toBe("notes.txt");
    // The agents ran in the worktree, the diff of each iteration was taken there.
    expect(readFileSync(join(path, "notes.txt"), "utf8")).toBe("one\nTWO\n");
    const call = JSON.parse(readFileSync(join(path, ".fake-state", "claude-1.json"), "utf8"));
    expect(call.cwd).toBe(path);
    expect(call.prompt).toContain(`Working directory: ${path}`);
    expect(call.prompt).toContain(`on the branch ${branch}`);
    const changes = await t.api({ url: `/api/tasks/${filed.id}/artifacts/002-changes.md` });
    expect(changes.body).toContain("-two\n+TWO\n");
    const artifacts = (await t.api({ url: `/api/tasks/${filed.id}/artifacts` })).json().artifacts;
    expect(artifacts.map((a: { name: string }) => a.name)).not.toContain(".worktrees");

    // The user's checkout is as it was: no notes.txt, same HEAD, index, working tree, refs, stash.
    expect(existsSync(join(wd, "notes.txt"))).toBe(false);
    expect(checkout(wd)).toEqual(before);
    const detail = (await t.api({ url: `/api/tasks/${filed.id}` })).json();
    expect(detail.task.worktree).toEqual({ path, branch });

    // Delete: the worktree goes, the branch stays.
    expect((await t.api({ method: "DELETE", url: `/api/tasks/${filed.id}` })).statusCode).toBe(200);
    expect(existsSync(path)).toBe(false);
    expect(git(wd, "worktree", "list", "--porcelain")).not.toContain(filed.id);
    expect(git(wd, "rev-parse", "--verify", "--quiet", branch).trim()).not.toBe("");
    expect(checkout(wd)).toEqual(before);

    // Asked to, deleting a task removes its branch too.
    const again = await file(t, { workingDir: wd, maxIterations: 1 });
    expect(again.statusCode, again.body).toBe(201);
    const second: Task = again.json().task;
    await settled(t, second.id);
    expect(git(wd, "branch", "--list", `loop/${second.id}`)).toContain(second.id);
    const del = await t.api({ method: "DELETE", url: `/api/tasks/${second.id}?deleteBranch=1` });
    expect(del.statusCode, del.body).toBe(200);
    expect(existsSync(second.worktree?.path ?? "")).toBe(false);
    expect(git(wd, "branch", "--list", `loop/${second.id}`)).toBe("");
    expect(git(wd, "rev-parse", "--verify", "--quiet", branch).trim()).not.toBe("");
    expect(checkout(wd)).toEqual(before);
  });

  it("deleting a task with ?deleteBranch=1 leaves the user's .git byte for byte as it was (no packed-refs of loop's making)", async () => {
    t = await createTestApp();
    const wd = userRepo(
      t,
      scenario({
        claude: [claude.ok("added notes", { write: { path: "notes.txt", content: "one\n" } })],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    git(wd, "add", ".fake-scenario.json");
    git(wd, "commit", "-q", "-m", "scenario");
    const before = gitDirState(wd);
    expect(before.has("packed-refs")).toBe(false);
    const r = await file(t, { workingDir: wd, maxIterations: 1 });
    const task: Task = r.json().task;
    expect(await settled(t, task.id)).toMatchObject({ status: "done" });
    expect(git(wd, "rev-parse", "--verify", "--quiet", `loop/${task.id}`).trim()).not.toBe("");
    const del = await t.api({ method: "DELETE", url: `/api/tasks/${task.id}?deleteBranch=1` });
    expect(del.statusCode, del.body).toBe(200);

    const after = gitDirState(wd);
    const changed = [...before].filter(([p, h]) => after.get(p) !== h).map(([p]) => p);
    // Only loop's commits stay behind, as new objects (git never rewrites an object file).
    const added = [...after.keys()].filter(
      (p) => !before.has(p) && !/^objects\/[0-9a-f]{2}\/([0-9a-f]{38})?$/.test(p),
    );
    expect({ changed, added }).toEqual({ changed: [], added: [] });
    expect(git(wd, "branch", "--list", `loop/${task.id}`)).toBe("");
  });

  it("a resumed task reuses its worktree and goes on committing on its branch", async () => {
    t = await createTestApp();
    const wd = userRepo(
      t,
      scenario({
        claude: [
          claude.ok("one", { write: { path: "a.txt", content: "1\n" } }),
          claude.ok("two", { write: { path: "a.txt", content: "2\n" } }),
        ],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- a.txt must say 2"), codex.review("STATUS: DONE")],
      }),
    );
    git(wd, "add", ".fake-scenario.json");
    git(wd, "commit", "-q", "-m", "scenario");
    const before = checkout(wd);
    const r = await file(t, { workingDir: wd, maxIterations: 1 });
    const task: Task = r.json().task;
    expect(await settled(t, task.id)).toMatchObject({ status: "needs_attention", currentIteration: 1 });
    const resumed = await t.api({
      method: "POST",
      url: `/api/tasks/${task.id}/resume`,
      payload: { extraIterations: 1 },
      headers: { "content-type": "application/json" },
    });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await waitFor(() => t?.repos.tasks.get(task.id)?.status !== "needs_attention", 10_000, "the resume");
    expect(await settled(t, task.id)).toMatchObject({ status: "done", currentIteration: 2 });
    // The same worktree (iteration 2's fake call counted on from iteration 1's state in it).
    expect(existsSync(join(task.worktree?.path ?? "", ".fake-state", "claude-2.json"))).toBe(true);
    expect(git(wd, "log", "--format=%s", `main..loop/${task.id}`).trim().split("\n")).toEqual([
      "Add notes (loop iteration 2, review: done)",
      "Add notes (loop iteration 1, review: issues found)",
    ]);
    expect(checkout(wd)).toEqual(before);
  });

  it("a working directory outside git, or a repository without a commit, is refused", async () => {
    t = await createTestApp();
    const plain = t.workdir();
    const r = await file(t, { workingDir: plain });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe("invalid_working_dir");
    expect(r.json().error.message).toContain("not in a git repository");

    const empty = t.workdir();
    git(empty, "init", "-q");
    const e = await file(t, { workingDir: empty });
    expect(e.statusCode).toBe(400);
    expect(e.json().error.message).toContain("has no commit yet");

    const bad = await file(t, { workingDir: plain, isolation: "branch" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("invalid_body");

    // Without the option a plain directory is fine, and the task says it is not isolated.
    const ok = await file(t, { workingDir: plain, isolation: undefined, maxIterations: 1 });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().task).toMatchObject({ isolation: "none", worktree: null });
  });
});
