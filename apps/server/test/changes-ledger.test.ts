import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderChanges } from "@loop/core";
import type { Changes, Finding, LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/**
 * A working directory that is a git repository with one commit, a staged edit and a stash (so
 * the index and refs have something to lose); the fake CLIs' files are ignored.
 */
function gitWorkdir(app: TestApp, s: object): string {
  const wd = app.workdir(s);
  git(wd, "init", "-q", "-b", "main");
  writeFileSync(join(wd, ".gitignore"), ".fake-state/\n.fake-scenario.json\n");
  writeFileSync(join(wd, "README.md"), "hello\n");
  git(wd, "add", "-A");
  git(wd, "commit", "-q", "-m", "initial");
  writeFileSync(join(wd, "README.md"), "hello\nstashed\n");
  git(wd, "stash", "-q");
  writeFileSync(join(wd, "README.md"), "hello\nstaged\n");
  git(wd, "add", "README.md");
  return wd;
}

/** Everything in .git but its objects, byte for byte, and what git says of HEAD, refs and stash. */
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
    index: readFileSync(join(dir, ".git", "index")).toString("base64"),
    head: git(dir, "rev-parse", "HEAD"),
    branch: git(dir, "symbolic-ref", "HEAD"),
    refs: git(dir, "for-each-ref", "--format=%(refname) %(objectname)"),
    stash: git(dir, "stash", "list", "--format=%H %s"),
    staged: git(dir, "diff", "--cached", "--name-status"),
  };
}

async function file(app: TestApp, body: Record<string, unknown>): Promise<Task> {
  const r = await app.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add a flag", prompt: "Add a --json flag", ...body },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

const settled = (app: TestApp, id: string, statuses = ["done", "needs_attention", "failed", "cancelled"]) =>
  waitFor(
    () => {
      const task = app.repos.tasks.get(id);
      return task && statuses.includes(task.status) ? task : undefined;
    },
    30_000,
    `task ${id} to settle`,
  );

async function artifact(app: TestApp, id: string, name: string): Promise<string> {
  const r = await app.api({ url: `/api/tasks/${id}/artifacts/${name}` });
  expect(r.statusCode, `${name}: ${r.body}`).toBe(200);
  return r.body;
}

const detail = async (app: TestApp, id: string) => (await app.api({ url: `/api/tasks/${id}` })).json();
const ledgerAt = (events: LoopEvent[]) =>
  events.flatMap((e) =>
    e.type === "findings.updated"
      ? [[e.iteration, e.data.findings.map((f) => `${f.id}:${f.status}`).join(" ")] as const]
      : [],
  );
const claudePrompt = (wd: string, k: number) =>
  JSON.parse(readFileSync(join(wd, ".fake-state", `claude-${k}.json`), "utf8")).prompt as string;

describe("what each iteration changed, in a git repository", () => {
  it("NNN-changes.md holds each run's own diff, changes.md the task's; the user's git state is untouched", async () => {
    t = await createTestApp();
    const wd = gitWorkdir(
      t,
      scenario({
        claude: [
          claude.ok("added notes", { write: { path: "notes.txt", content: "one\ntwo\n" } }),
          claude.ok("edited notes", { write: { path: "notes.txt", content: "one\nTWO\nthree\n" } }),
        ],
        codex: [
          codex.review("STATUS: ISSUES_FOUND\n- notes.txt: the second line must be upper case"),
          codex.review("STATUS: DONE"),
        ],
      }),
    );
    const before = userGitState(wd);
    const task = await file(t, { workingDir: wd, maxIterations: 3 });
    expect(await settled(t, task.id)).toMatchObject({ status: "done", currentIteration: 2 });

    const first = await artifact(t, task.id, "001-changes.md");
    expect(first).toContain("# Changes in iteration 1");
    expect(first).toContain("1 file changed, +2 -0");
    expect(first).toContain("```diff\ndiff --git a/notes.txt b/notes.txt\nnew file mode");
    expect(first).toContain("+one\n+two\n");

    // Iteration 2 shows only its edit of the file iteration 1 added (untracked all along).
    const second = await artifact(t, task.id, "002-changes.md");
    expect(second).toContain("1 file changed, +2 -1");
    expect(second).not.toContain("new file mode");
    expect(second).toContain(" one\n-two\n+TWO\n+three\n");

    const whole = await artifact(t, task.id, "changes.md");
    expect(whole).toContain("# Changes over the whole task");
    expect(whole).toContain("new file mode");
    expect(whole).toContain("+one\n+TWO\n+three\n");
    expect(whole).not.toContain("README.md");

    const result = await artifact(t, task.id, "result.md");
    expect(result).toContain("- Changes: 1 file changed, +3 -0 (whole task: changes.md");
    expect(result).toMatch(/## Findings\n\n0 open, 1 resolved\./);

    const names = (await t.api({ url: `/api/tasks/${task.id}/artifacts` }))
      .json()
      .artifacts.map((a: { name: string }) => a.name);
    expect(names).toEqual(expect.arrayContaining(["001-changes.md", "002-changes.md", "changes.md"]));
    expect(names.some((n: string) => n.includes("snapshot"))).toBe(false);

    const recorded = t.events(task.id).filter((e) => e.type === "changes.recorded");
    expect(recorded.map((e) => [e.iteration, e.data.scope, e.data.artifact, e.data.summary])).toEqual([
      [1, "iteration", "001-changes.md", "1 file changed, +2 -0"],
      [null, "task", "changes.md", "1 file changed, +2 -0"],
      [2, "iteration", "002-changes.md", "1 file changed, +2 -1"],
      [null, "task", "changes.md", "1 file changed, +3 -0"],
    ]);
    expect(t.events(task.id).filter((e) => e.type === "task.warning")).toEqual([]);
    expect(userGitState(wd)).toEqual(before);
    expect(readFileSync(join(wd, "notes.txt"), "utf8")).toBe("one\nTWO\nthree\n");

    // The same changes as data, one route per diff; the Markdown is that data rendered.
    const get = (url: string) => t!.api({ url: `/api/tasks/${task.id}${url}` });
    const it2 = await get("/iterations/2/changes");
    expect(it2.statusCode, it2.body).toBe(200);
    const data: Changes = it2.json().changes;
    expect(renderChanges(data)).toBe(second);
    expect(data).toMatchObject({
      title: "Changes in iteration 2",
      kind: "git",
      added: 2,
      deleted: 1,
      omitted: [],
    });
    expect(data.files).toHaveLength(1);
    expect(data.files[0]).toMatchObject({ path: "notes.txt", status: "modified", added: 2, deleted: 1 });
    expect(data.files[0]?.patch?.hunks.map((h) => h.lines)).toEqual([
      [
        { kind: "ctx", text: "one" },
        { kind: "del", text: "two" },
        { kind: "add", text: "TWO" },
        { kind: "add", text: "three" },
      ],
    ]);
    const all = await get("/changes");
    expect(all.statusCode, all.body).toBe(200);
    expect(renderChanges(all.json().changes)).toBe(whole);
    expect(renderChanges((await get("/iterations/1/changes")).json().changes)).toBe(first);
    // The task's detail does not carry them.
    expect(JSON.stringify(await detail(t, task.id))).not.toContain("TWO");

    expect((await get("/iterations/3/changes")).json().error.code).toBe("changes_not_found");
    expect((await get("/iterations/abc/changes")).json().error.code).toBe("invalid_query");
    const unknown = await t.api({ url: "/api/tasks/nope/iterations/1/changes" });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, "task_not_found"]);
    // A task an older version ran has its Markdown and no data: 404 with a code, never the Markdown parsed back.
    t.repos.handle.sqlite.prepare("UPDATE iterations SET changes = NULL, task_changes = NULL").run();
    const old = await get("/iterations/2/changes");
    expect([old.statusCode, old.json().error.code]).toEqual([404, "changes_not_found"]);
    expect((await get("/changes")).statusCode).toBe(404);
    expect(await artifact(t, task.id, "002-changes.md")).toBe(second);
  });
});

describe("the findings ledger", () => {
  it("tracks reworded findings across iterations, hands Claude the open ones, and answers in GET /api/tasks/:id", async () => {
    t = await createTestApp();
    const wd = gitWorkdir(
      t,
      scenario({
        claude: [claude.ok("first"), claude.ok("second"), claude.ok("third")],
        codex: [
          codex.review(
            "STATUS: ISSUES_FOUND\n\nTwo problems:\n\n- `parseFlags` in src/cli.ts:12 ignores the --json flag\n- The README does not document the --json flag",
          ),
          codex.review(
            "STATUS: ISSUES_FOUND\nBetter, but one thing is left:\n1. The --json flag is still ignored by `parseFlags` (src/cli.ts:14).",
          ),
          codex.review("STATUS: DONE\nAll good now."),
        ],
      }),
    );
    const task = await file(t, { workingDir: wd, maxIterations: 5 });
    expect(await settled(t, task.id)).toMatchObject({ status: "done", currentIteration: 3 });

    expect(ledgerAt(t.events(task.id))).toEqual([
      [1, "F1:open F2:open"],
      [2, "F1:open F2:resolved"],
      [3, "F1:resolved F2:resolved"],
    ]);
    const { findings } = await detail(t, task.id);
    expect(findings).toEqual([
      expect.objectContaining({
        id: "F1",
        text: "The --json flag is still ignored by `parseFlags` (src/cli.ts:14).",
        status: "resolved",
        firstIteration: 1,
        lastIteration: 2,
      }),
      expect.objectContaining({
        id: "F2",
        text: "The README does not document the --json flag",
        status: "resolved",
        firstIteration: 1,
        lastIteration: 1,
      }),
    ]);

    expect(claudePrompt(wd, 1)).not.toContain("Open review findings");
    const second = claudePrompt(wd, 2);
    expect(second).toContain("## Open review findings");
    expect(second).toContain("- [ ] **F1** (reported in iteration 1): `parseFlags` in src/cli.ts:12 ignores");
    expect(second).toContain("- [ ] **F2** (reported in iteration 1): The README does not document");
    const third = claudePrompt(wd, 3);
    expect(third).toContain("- [ ] **F1** (reported in iterations 1–2): The --json flag is still ignored");
    expect(third).not.toContain("**F2**");

    const result = await artifact(t, task.id, "result.md");
    expect(result).toContain("0 open, 2 resolved.");
    expect(result).toContain("- **F1** · resolved in iteration 3 · reported 1–2:");
  });

  it("stops a loop whose reviewer rewords the same finding, quoting it", async () => {
    t = await createTestApp();
    const wd = gitWorkdir(
      t,
      scenario({
        claude: [claude.ok("tried")],
        codex: [
          codex.review(
            "STATUS: ISSUES_FOUND\nOne issue:\n- `loadConfig` does not validate PORT (config.ts:40)",
          ),
          codex.review(
            "STATUS: ISSUES_FOUND\n\nStill failing.\n\n* PORT is still not validated in `loadConfig`, config.ts:41",
          ),
          codex.review(
            "**STATUS: ISSUES_FOUND**\nSame as before:\n1) `loadConfig` still doesn't validate the PORT value — see config.ts:44",
          ),
          codex.review("STATUS: DONE"),
        ],
      }),
    );
    const task = await file(t, { workingDir: wd, maxIterations: 10 });
    const stopped = await settled(t, task.id);
    expect(stopped).toMatchObject({ status: "needs_attention", currentIteration: 3 });
    expect(stopped.statusReason).toMatch(
      /^No progress: Codex reported the same finding in 3 reviews in a row \(iterations 1–3\); stopped early to save your quota\. F1: "`loadConfig` still doesn't validate the PORT value/,
    );
    expect((await detail(t, task.id)).findings).toEqual([
      expect.objectContaining({ id: "F1", status: "open", firstIteration: 1, lastIteration: 3 }),
    ]);
  });

  it("survives a resume: ids, statuses and the first snapshot come back from the database", async () => {
    t = await createTestApp();
    const wd = gitWorkdir(
      t,
      scenario({
        claude: [
          claude.ok("wrote a", { write: { path: "a.txt", content: "a\n" } }),
          claude.exit(3, "crashed"),
          claude.ok("wrote b", { write: { path: "b.txt", content: "b\n" } }),
        ],
        codex: [
          codex.review(
            "STATUS: ISSUES_FOUND\n- a.txt has no trailing summary line\n- b.txt is missing entirely",
          ),
          codex.review("STATUS: ISSUES_FOUND\n- a.txt still has no trailing summary line"),
          codex.review("STATUS: DONE"),
        ],
      }),
    );
    const task = await file(t, { workingDir: wd, maxIterations: 3 });
    expect(await settled(t, task.id)).toMatchObject({ status: "failed", currentIteration: 2 });
    const beforeResume = (await detail(t, task.id)).findings as Finding[];
    expect(beforeResume.map((f) => `${f.id}:${f.status}`)).toEqual(["F1:open", "F2:open"]);

    // A new server on the same database and artifacts: nothing of the first run is in memory.
    const dir = t.dir;
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await t.app.close();
    t = await createTestApp({}, { dir });
    const r = await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` });
    expect(r.statusCode, r.body).toBe(200);
    expect(await settled(t, task.id)).toMatchObject({ status: "done", currentIteration: 3 });

    // claude-3 is iteration 2 again: its checklist came from the stored ledger.
    expect(claudePrompt(wd, 3)).toContain("- [ ] **F1** (reported in iteration 1): a.txt has no trailing");
    expect(claudePrompt(wd, 3)).toContain("- [ ] **F2** (reported in iteration 1): b.txt is missing");
    const { findings } = await detail(t, task.id);
    expect(findings.map((f: Finding) => [f.id, f.status, f.firstIteration, f.lastIteration])).toEqual([
      ["F1", "resolved", 1, 2],
      ["F2", "resolved", 1, 1],
    ]);
    // The whole task's change starts from the snapshot the first run took.
    const whole = await artifact(t, task.id, "changes.md");
    expect(whole).toContain("2 files changed, +2 -0");
    expect(whole).toContain("+++ b/a.txt");
    expect(whole).toContain("+++ b/b.txt");
    // Iteration 2 kept its first snapshot: the failed attempt and the one after it are one change.
    expect(await artifact(t, task.id, "002-changes.md")).toContain("1 file changed, +1 -0");
    expect(await artifact(t, task.id, "002-changes.md")).toContain("+++ b/b.txt");
  });
});
