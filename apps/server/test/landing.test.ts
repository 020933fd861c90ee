import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { fakeGh, ghDir } from "./fake-gh.ts";
import { createTestApp, type TestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const json = { "content-type": "application/json" };

/** A repository on main whose HEAD holds the fake CLIs' scenario: the task writes `path`. */
function repoWithTask(app: TestApp, path = "notes.txt", content = "one\ntwo\n"): string {
  const wd = app.workdir(
    scenario({
      claude: [claude.ok("wrote it", { write: { path, content } }), claude.hang()],
      codex: [codex.review("STATUS: DONE")],
    }),
  );
  git(wd, "init", "-q", "-b", "main");
  writeFileSync(join(wd, ".gitignore"), ".fake-state/\n");
  writeFileSync(join(wd, "README.md"), "hello\n");
  git(wd, "add", "-A");
  git(wd, "commit", "-q", "-m", "initial");
  return wd;
}

/** The user's checkout: HEAD, index, working tree, refs (but loop's own branches) and stash. */
const checkout = (wd: string) => ({
  head: git(wd, "rev-parse", "HEAD"),
  branch: git(wd, "symbolic-ref", "HEAD"),
  index: readFileSync(join(wd, ".git", "index")).toString("base64"),
  status: git(wd, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
  files: ["README.md", "notes.txt", "scratch.txt"].map((f) =>
    existsSync(join(wd, f)) ? readFileSync(join(wd, f), "utf8") : null,
  ),
  refs: git(wd, "for-each-ref", "--format=%(refname) %(objectname)")
    .split("\n")
    .filter((l) => !l.startsWith("refs/heads/loop/"))
    .join("\n"),
  stash: git(wd, "stash", "list", "--format=%H %s"),
});

/** Files a worktree task in wd and waits for it to end. */
async function doneTask(app: TestApp, wd: string, body: Record<string, unknown> = {}): Promise<Task> {
  const r = await app.api({
    method: "POST",
    url: "/api/tasks",
    payload: {
      title: "Add notes",
      prompt: "Write notes.txt",
      workingDir: wd,
      isolation: "worktree",
      maxIterations: 1,
      ...body,
    },
    headers: json,
  });
  expect(r.statusCode, r.body).toBe(201);
  const task = await taskEnded(app, r.json().task.id, 30_000);
  expect(task.status).toBe("done");
  return task;
}

const post = (app: TestApp, url: string, payload: object = {}) =>
  app.api({ method: "POST", url, payload, headers: json });

describe("landing a worktree task's branch", () => {
  it("shows the branch, then merges it into the checked-out base: a merge commit, a clean tree", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t);
    const before = git(wd, "rev-parse", "HEAD").trim();
    const task = await doneTask(t, wd);
    expect(task.baseBranch).toBe("main");

    // The iteration's commit names the title, the iteration and the review's verdict, by loop.
    const log = git(wd, "log", "--format=%an <%ae>|%B", `main..loop/${task.id}`).trim();
    expect(log).toBe(
      `loop <loop@localhost>|Add notes (loop iteration 1, review: done)\n\nLoop-Task: ${task.id}\nLoop-Iteration: 1`,
    );

    const b = await t.api({ url: `/api/tasks/${task.id}/branch` });
    expect(b.statusCode, b.body).toBe(200);
    expect(b.json()).toMatchObject({
      branch: `loop/${task.id}`,
      base: "main",
      ahead: 1,
      behind: 0,
      files: [{ path: "notes.txt", added: 2, deleted: 0 }],
      conflicts: [],
      merged: false,
      baseCheckedOut: true,
    });
    expect(b.json().diff).toContain("+one\n+two\n");

    const m = await post(t, `/api/tasks/${task.id}/merge`);
    expect(m.statusCode, m.body).toBe(200);
    const { commit, task: landed } = m.json();
    expect(git(wd, "rev-parse", "HEAD").trim()).toBe(commit);
    expect(git(wd, "rev-parse", "main").trim()).toBe(commit);
    expect(git(wd, "log", "-1", "--format=%P", commit).trim()).toBe(
      `${before} ${git(wd, "rev-parse", `loop/${task.id}`).trim()}`,
    );
    // Base has exactly the task's change, and the working tree and index equal the new HEAD.
    expect(git(wd, "diff", "--name-only", `${before}`, commit).trim()).toBe("notes.txt");
    expect(git(wd, "status", "--porcelain=v1", "--untracked-files=all")).toBe("");
    expect(readFileSync(join(wd, "notes.txt"), "utf8")).toBe("one\ntwo\n");
    const message = git(wd, "log", "-1", "--format=%B", commit);
    expect(message).toContain("Add notes\n");
    expect(message).toContain(task.statusReason ?? "no reason");
    expect(message).toContain("Iterations: 1 (cap 1)");
    expect(message).toContain("Findings resolved: 0");
    expect(message).toContain(`Loop-Task: ${task.id}`);
    expect(git(wd, "log", "-1", "--format=%an <%ae>", commit).trim()).toBe("loop <loop@localhost>");

    expect(landed.landed).toMatchObject({ commit, mode: "merge", base: "main" });
    expect(t.repos.tasks.get(task.id)?.landed?.commit).toBe(commit);
    // Open pages learn it from the stream: task.updated carrying only what changed.
    const updated = t
      .events(task.id)
      .filter((e) => e.type === "task.updated")
      .at(-1);
    expect(updated?.data).toEqual({ task: { id: task.id, landed: landed.landed } });
    const result = (await t.api({ url: `/api/tasks/${task.id}/artifacts/result.md` })).body;
    expect(result).toContain("## Landed");
    expect(result).toContain(`Merged into main from loop/${task.id} as ${commit.slice(0, 12)}`);

    // Nothing left to merge.
    const again = await post(t, `/api/tasks/${task.id}/merge`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("not_mergeable");
  });

  it("squashes into base as one commit, under LOOP_GIT_AUTHOR", async () => {
    t = await createTestApp({ LOOP_GIT_AUTHOR: "Ada Lovelace <ada@example.com>" });
    const wd = repoWithTask(t);
    const before = git(wd, "rev-parse", "HEAD").trim();
    const task = await doneTask(t, wd);
    expect(git(wd, "log", "-1", "--format=%an <%ae>|%cn <%ce>", `loop/${task.id}`).trim()).toBe(
      "Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>",
    );
    const m = await post(t, `/api/tasks/${task.id}/merge`, { mode: "squash" });
    expect(m.statusCode, m.body).toBe(200);
    const { commit } = m.json();
    expect(git(wd, "log", "-1", "--format=%P|%an", commit).trim()).toBe(`${before}|Ada Lovelace`);
    expect(git(wd, "diff", "--name-only", before, commit).trim()).toBe("notes.txt");
    expect(git(wd, "log", "-1", "--format=%B", commit)).toContain(
      `Squashed from loop/${task.id} (1 commit) by loop.`,
    );
    expect(git(wd, "status", "--porcelain=v1", "--untracked-files=all")).toBe("");
    expect(m.json().task.landed).toMatchObject({ mode: "squash", commit });
    const after = (await t.api({ url: `/api/tasks/${task.id}/branch` })).json();
    expect(after).toMatchObject({ ahead: 1, behind: 1, merged: true, conflicts: [] });
  });

  it("refuses a conflict with 409 merge_conflict naming the files, changing nothing", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t, "README.md", "theirs\n");
    const task = await doneTask(t, wd);
    writeFileSync(join(wd, "README.md"), "mine\n");
    git(wd, "commit", "-q", "-am", "mine");
    writeFileSync(join(wd, "scratch.txt"), "untracked\n");
    const b = (await t.api({ url: `/api/tasks/${task.id}/branch` })).json();
    expect(b).toMatchObject({ ahead: 1, behind: 1, conflicts: ["README.md"] });

    const before = checkout(wd);
    const m = await post(t, `/api/tasks/${task.id}/merge`, { mode: "squash" });
    expect(m.statusCode, m.body).toBe(409);
    expect(m.json().error).toMatchObject({ code: "merge_conflict", files: ["README.md"] });
    expect(m.json().error.message).toContain("README.md");
    expect(checkout(wd)).toEqual(before);
    expect(t.repos.tasks.get(task.id)?.landed).toBeNull();
  });

  it("refuses a dirty checkout of base with 409 working_tree_dirty naming the files, changing nothing", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t);
    const task = await doneTask(t, wd);
    writeFileSync(join(wd, "README.md"), "hello\nstashed\n");
    git(wd, "stash", "-q");
    writeFileSync(join(wd, "README.md"), "hello\nstaged\n");
    git(wd, "add", "README.md");
    writeFileSync(join(wd, "README.md"), "hello\nstaged\nunstaged\n");
    writeFileSync(join(wd, "scratch.txt"), "mine\n");

    const before = checkout(wd);
    const m = await post(t, `/api/tasks/${task.id}/merge`);
    expect(m.statusCode, m.body).toBe(409);
    expect(m.json().error).toMatchObject({ code: "working_tree_dirty", files: ["README.md"] });
    expect(checkout(wd)).toEqual(before);

    // An untracked file where the branch adds one is in the way too.
    git(wd, "reset", "-q", "--hard");
    writeFileSync(join(wd, "notes.txt"), "my own notes\n");
    const untracked = checkout(wd);
    const again = await post(t, `/api/tasks/${task.id}/merge`);
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().error).toMatchObject({ code: "working_tree_dirty", files: ["notes.txt"] });
    expect(checkout(wd)).toEqual(untracked);
  });

  it("moves only the ref when base is not checked out", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t);
    const task = await doneTask(t, wd);
    git(wd, "checkout", "-q", "-b", "elsewhere");
    writeFileSync(join(wd, "README.md"), "work in progress\n");
    const before = checkout(wd);
    const oldMain = git(wd, "rev-parse", "main").trim();

    const m = await post(t, `/api/tasks/${task.id}/merge`, { message: "Notes, by hand" });
    expect(m.statusCode, m.body).toBe(200);
    const { commit } = m.json();
    expect(git(wd, "rev-parse", "main").trim()).toBe(commit);
    expect(git(wd, "log", "-1", "--format=%P", commit).trim().split(" ")[0]).toBe(oldMain);
    expect(git(wd, "log", "-1", "--format=%B", commit)).toBe(`Notes, by hand\n\nLoop-Task: ${task.id}\n\n`);
    const after = checkout(wd);
    expect({ ...after, refs: "" }).toEqual({ ...before, refs: "" });
    expect(existsSync(join(wd, "notes.txt"))).toBe(false);
  });

  it("discards the worktree and the branch; the task stays", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t);
    const task = await doneTask(t, wd);
    const tip = git(wd, "rev-parse", `loop/${task.id}`).trim();
    const d = await post(t, `/api/tasks/${task.id}/discard`);
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json().task.landed).toMatchObject({ mode: "discard", commit: tip });
    expect(existsSync(task.worktree?.path ?? "/")).toBe(false);
    expect(git(wd, "branch", "--list", `loop/${task.id}`)).toBe("");
    expect(git(wd, "worktree", "list", "--porcelain")).not.toContain(task.id);
    // Only that ref went: no .git/packed-refs written (git branch -D would).
    expect(existsSync(join(wd, ".git", "packed-refs"))).toBe(false);
    expect((await t.api({ url: `/api/tasks/${task.id}` })).statusCode).toBe(200);
    const b = await t.api({ url: `/api/tasks/${task.id}/branch` });
    expect([b.statusCode, b.json().error.code]).toEqual([409, "no_branch"]);
  });

  it("gives a patch that git am applies on a fresh clone (worktree) and git apply applies (in place)", async () => {
    t = await createTestApp();
    const wd = repoWithTask(t);
    const task = await doneTask(t, wd);
    const p = await t.api({ url: `/api/tasks/${task.id}/patch` });
    expect(p.statusCode, p.body).toBe(200);
    expect(p.headers["content-type"]).toMatch(/^text\/x-patch/);
    const clone = join(t.dir, "clone");
    git(t.dir, "clone", "-q", wd, clone);
    writeFileSync(join(t.dir, "task.patch"), p.body);
    git(clone, "am", "-q", join(t.dir, "task.patch"));
    expect(readFileSync(join(clone, "notes.txt"), "utf8")).toBe("one\ntwo\n");
    expect(git(clone, "log", "-1", "--format=%s").trim()).toBe("Add notes (loop iteration 1, review: done)");

    const inPlace = repoWithTask(t, "in-place.txt", "changed in place\n");
    const clone2 = join(t.dir, "clone2");
    git(t.dir, "clone", "-q", inPlace, clone2);
    const ip = await doneTask(t, inPlace, { isolation: "none" });
    const p2 = await t.api({ url: `/api/tasks/${ip.id}/patch` });
    expect(p2.statusCode, p2.body).toBe(200);
    writeFileSync(join(t.dir, "in-place.patch"), p2.body);
    git(clone2, "apply", join(t.dir, "in-place.patch"));
    expect(readFileSync(join(clone2, "in-place.txt"), "utf8")).toBe("changed in place\n");
    expect(git(clone2, "status", "--porcelain=v1", "--untracked-files=all").trim()).toBe("?? in-place.txt");

    // An in-place task has no branch.
    const nb = await t.api({ url: `/api/tasks/${ip.id}/branch` });
    expect([nb.statusCode, nb.json().error.code]).toEqual([409, "no_branch"]);
    const nm = await post(t, `/api/tasks/${ip.id}/merge`);
    expect([nm.statusCode, nm.json().error.code]).toEqual([409, "no_branch"]);
  });

  it("a bad merge or PR body is 400 invalid_body naming the field", async () => {
    t = await createTestApp();
    const task = t.repos.tasks.create({ title: "a", prompt: "p", workingDir: t.dir, maxIterations: 1 });
    for (const [url, payload, message] of [
      ["merge", { mode: "rebase" }, 'mode: must be "merge" or "squash"'],
      ["merge", { mode: "merge", force: true }, "unknown field: force"],
      ["merge", { message: " " }, "message: must not be empty"],
      ["pr", { title: 3 }, "title: must be text"],
    ] as const) {
      const r = await post(t, `/api/tasks/${task.id}/${url}`, payload);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json()).toEqual({ error: { code: "invalid_body", message } });
    }
  });

  it("refuses to merge or discard while the task is queued or running (409 not_mergeable)", async () => {
    t = await createTestApp();
    const wd = t.workdir(scenario({ claude: [claude.hang()], codex: [] }));
    git(wd, "init", "-q", "-b", "main");
    git(wd, "add", "-A");
    git(wd, "commit", "-q", "-m", "initial");
    const r = await post(t, "/api/tasks", {
      title: "Hang",
      prompt: "p",
      workingDir: wd,
      isolation: "worktree",
    });
    const id = r.json().task.id;
    await expect.poll(() => t?.repos.tasks.get(id)?.status, { timeout: 20_000 }).toBe("running");
    const m = await post(t, `/api/tasks/${id}/merge`);
    expect([m.statusCode, m.json().error.code]).toEqual([409, "not_mergeable"]);
    const d = await post(t, `/api/tasks/${id}/discard`);
    expect([d.statusCode, d.json().error.code]).toEqual([409, "not_mergeable"]);
    await post(t, `/api/tasks/${id}/cancel`);
    await taskEnded(t, id);

    await post(t, "/api/queue/pause");
    const q = await post(t, "/api/tasks", {
      title: "Queued",
      prompt: "p",
      workingDir: wd,
      isolation: "worktree",
    });
    const qm = await post(t, `/api/tasks/${q.json().task.id}/merge`);
    expect([qm.statusCode, qm.json().error.code]).toEqual([409, "not_mergeable"]);
  });
});

describe("a pull request through the GitHub CLI", () => {
  it("pushes the branch to the remote and opens the PR with the task's summary", async () => {
    const gh = fakeGh(ghDir());
    t = await createTestApp({ LOOP_GH_BIN: gh.bin });
    const wd = repoWithTask(t);
    const remote = join(t.dir, "remote.git");
    git(t.dir, "init", "-q", "--bare", remote);
    git(wd, "remote", "add", "origin", remote);
    git(wd, "push", "-q", "origin", "main");
    const task = await doneTask(t, wd);

    const health = (await t.api({ url: "/api/health" })).json();
    expect(health.gh).toMatchObject({ bin: gh.bin, found: true, loggedIn: true, version: "2.99.0" });

    const r = await post(t, `/api/tasks/${task.id}/pr`);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().url).toBe("https://github.com/example/repo/pull/7");
    const tip = git(wd, "rev-parse", `loop/${task.id}`).trim();
    expect(git(remote, "rev-parse", `refs/heads/loop/${task.id}`).trim()).toBe(tip);
    const pr = gh.calls().find((c) => c.argv[0] === "pr");
    expect(pr?.argv).toEqual([
      "pr",
      "create",
      "--head",
      `loop/${task.id}`,
      "--base",
      "main",
      "--title",
      "Add notes",
      "--body-file",
      "-",
    ]);
    expect(pr?.stdin).toContain("> Write notes.txt");
    expect(pr?.stdin).toContain("Iterations: 1 of at most 1");
    expect(pr?.stdin).toContain("Resolved (0)");
    expect(pr?.stdin).toContain("Still open (0)");
    expect(pr?.stdin).toMatch(/Claude: \$\d/);
    expect(pr?.stdin).toContain("Codex: tokens in");
    expect(t.repos.tasks.get(task.id)?.landed).toMatchObject({ mode: "pr", commit: tip, url: r.json().url });
  });

  it("a slow gh auth status does not hold GET /api/health: gh is left out until it answers", async () => {
    const gh = fakeGh(ghDir(), true, 4000);
    t = await createTestApp({ LOOP_GH_BIN: gh.bin });
    const started = Date.now();
    const first = (await t.api({ url: "/api/health" })).json();
    expect(Date.now() - started).toBeLessThan(3500);
    expect(first.gh).toBeUndefined();
    await expect
      .poll(async () => (await t?.api({ url: "/api/health" }))?.json().gh, { timeout: 15_000 })
      .toMatchObject({ found: true, loggedIn: true });
  });

  it("is 503 gh_unavailable when gh is missing, not logged in, or there is no remote", async () => {
    t = await createTestApp({ LOOP_GH_BIN: "/nonexistent/gh" });
    const wd = repoWithTask(t);
    const task = await doneTask(t, wd);
    const missing = await post(t, `/api/tasks/${task.id}/pr`);
    expect([missing.statusCode, missing.json().error.code]).toEqual([503, "gh_unavailable"]);
    expect(missing.json().error.message).toContain("/nonexistent/gh was not found");
    expect((await t.api({ url: "/api/health" })).json().gh).toMatchObject({ found: false, loggedIn: null });
    await t.close();
    t = undefined;

    const out = fakeGh(ghDir(), false);
    t = await createTestApp({ LOOP_GH_BIN: out.bin });
    const wd2 = repoWithTask(t);
    const task2 = await doneTask(t, wd2);
    const loggedOut = await post(t, `/api/tasks/${task2.id}/pr`);
    expect([loggedOut.statusCode, loggedOut.json().error.code]).toEqual([503, "gh_unavailable"]);
    expect(loggedOut.json().error.message).toContain("not logged in");
    await t.close();
    t = undefined;

    const ok = fakeGh(ghDir(), true);
    t = await createTestApp({ LOOP_GH_BIN: ok.bin });
    const wd3 = repoWithTask(t);
    const task3 = await doneTask(t, wd3);
    const noRemote = await post(t, `/api/tasks/${task3.id}/pr`);
    expect([noRemote.statusCode, noRemote.json().error.code]).toEqual([503, "gh_unavailable"]);
    expect(noRemote.json().error.message).toContain("has no remote");
  });
});
