import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { notificationFor } from "../src/plugins/notify.ts";
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

/** The person in the loop over HTTP: notes, findings the user decides on, accept, step mode. */
let t: TestApp;
afterEach(() => t?.close());

const json = { "content-type": "application/json" };
const call = (method: "POST" | "PATCH" | "GET", url: string, payload?: object) =>
  t.api({ method, url, ...(payload !== undefined && { payload, headers: json }) });
const file = async (body: object): Promise<Task> => {
  const r = await call("POST", "/api/tasks", { title: "t", prompt: "Do it.", ...body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
};
const detail = async (id: string) => (await call("GET", `/api/tasks/${id}`)).json();
const claudePrompt = (wd: string, k: number) =>
  JSON.parse(readFileSync(join(wd, ".fake-state", `claude-${k}.json`), "utf8")).prompt as string;
const codexPrompt = (wd: string, k: number) =>
  JSON.parse(readFileSync(join(wd, ".fake-state", `codex-${k}.json`), "utf8")).prompt as string;

describe("the person in the loop over HTTP", () => {
  it("refuses bad input and changes nothing: empty or over-long notes, ended tasks, unknown findings, accept on queued or done", async () => {
    t = await createTestApp();
    await call("POST", "/api/queue/pause");
    const wd = t.workdir(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }));
    const task = await file({ workingDir: wd });
    const before = await detail(task.id);
    for (const [payload, message] of [
      [{ text: "" }, "text: must not be empty"],
      [{ text: "  \n " }, "text: must not be empty"],
      [{ text: "x".repeat(20_001) }, "text: must be at most 20,000 characters"],
      [{}, "text: is required"],
      [{ text: "a", extra: 1 }, "unknown field: extra"],
    ] as const) {
      const r = await call("POST", `/api/tasks/${task.id}/notes`, payload);
      expect(r.statusCode, JSON.stringify(payload).slice(0, 50)).toBe(400);
      expect(r.json().error).toEqual({ code: "invalid_body", message });
    }
    const r1 = await call("POST", `/api/tasks/${task.id}/resume`, { note: "" });
    expect(r1.statusCode).toBe(400);
    expect(
      (await call("PATCH", `/api/tasks/${task.id}/findings/F1`, { status: "gone" })).json().error.code,
    ).toBe("invalid_body");
    const f = await call("PATCH", `/api/tasks/${task.id}/findings/F1`, { status: "dismissed", reason: "no" });
    expect(f.statusCode).toBe(404);
    expect(f.json().error.code).toBe("finding_not_found");
    expect((await call("POST", "/api/tasks/nope/notes", { text: "x" })).json().error.code).toBe(
      "task_not_found",
    );
    const a = await call("POST", `/api/tasks/${task.id}/accept`, { note: "fine" });
    expect(a.statusCode).toBe(409);
    expect(a.json().error.code).toBe("not_acceptable");
    expect(await detail(task.id)).toEqual(before);

    // The longest note is taken (the queued task carries it into iteration 1).
    const long = "y".repeat(20_000);
    const ok = await call("POST", `/api/tasks/${task.id}/notes`, { text: long });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().note).toMatchObject({ text: long, forIteration: 1, id: expect.any(Number) });

    await call("POST", "/api/queue/resume");
    const done = await taskEnded(t, task.id);
    expect(done.status).toBe("done");
    expect(claudePrompt(wd, 1)).toContain(long);
    const ended = await detail(task.id);
    const late = await call("POST", `/api/tasks/${task.id}/notes`, { text: "too late" });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe("not_open");
    expect(late.json().error.message).toMatch(/resume it with the note/);
    const again = await call("POST", `/api/tasks/${task.id}/accept`);
    expect(again.json().error.code).toBe("not_acceptable");
    expect(await detail(task.id)).toEqual(ended);
  });

  it("step mode with the fake CLIs: pauses after iteration 1; dismiss, note, resume with a note; both notes reach claude and codex", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("Did part 1"), claude.ok("Did part 2")],
        codex: [
          codex.review(
            "STATUS: ISSUES_FOUND\n\n- `src/a.ts:3` lacks input validation.\n- `README.md` has no usage example.",
          ),
          codex.review("STATUS: DONE\n\nSTILL OPEN: none"),
        ],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 4, pauseAfterIteration: true });
    expect(task.pauseAfterIteration).toBe(true);
    const paused = await waitFor(() => {
      const row = t.repos.tasks.get(task.id);
      return row?.status === "paused" ? row : undefined;
    });
    expect(paused.statusReason).toBe("Waiting for you after iteration 1: 2 open findings");
    // The LOOP_NOTIFY_URL webhook fires when a task starts waiting.
    const waiting = t.events(task.id).find((e) => e.type === "task.waiting")!;
    expect(notificationFor(waiting, paused, "http://x")?.text).toBe(
      'loop: "t" is paused — Waiting for you after iteration 1: 2 open findings',
    );
    const d = await detail(task.id);
    expect(d.findings.map((f: { id: string }) => f.id)).toEqual(["F1", "F2"]);

    const dis = await call("PATCH", `/api/tasks/${task.id}/findings/F2`, {
      status: "dismissed",
      reason: "Docs come later.",
    });
    expect(dis.statusCode).toBe(200);
    expect(dis.json().finding).toMatchObject({
      id: "F2",
      status: "dismissed",
      dismissReason: "Docs come later.",
    });
    const n1 = await call("POST", `/api/tasks/${task.id}/notes`, { text: "Validate with zod, not by hand." });
    expect(n1.json().note.forIteration).toBe(2);
    const res = await call("POST", `/api/tasks/${task.id}/resume`, {
      note: "Keep the public API unchanged.",
    });
    expect(res.statusCode).toBe(200);
    const done = await taskEnded(t, task.id);
    expect(done.status).toBe("done");
    for (const text of ["Validate with zod, not by hand.", "Keep the public API unchanged."]) {
      expect(claudePrompt(wd, 2)).toContain(text);
      expect(codexPrompt(wd, 2)).toContain(text);
    }
    expect(codexPrompt(wd, 2)).toContain('**F2** (dismissed by the user: "Docs come later.")');
    expect(codexPrompt(wd, 2)).toContain("- **F1** (reported in iteration 1)");
    const end = await detail(task.id);
    expect(end.notes.map((n: { text: string }) => n.text)).toEqual([
      "Validate with zod, not by hand.",
      "Keep the public API unchanged.",
    ]);
    expect(end.findings.map((f: { status: string }) => f.status)).toEqual(["resolved", "dismissed"]);
    const notesMd = await call("GET", `/api/tasks/${task.id}/artifacts/notes.md`);
    expect(notesMd.body).toContain("Keep the public API unchanged.");
  });

  it("accept on a needs_attention task: done, 'Accepted by the user after iteration 1', result.md says so", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("did it")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- a nit in `x.ts`")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 1 });
    expect((await taskEnded(t, task.id)).status).toBe("needs_attention");
    const r = await call("POST", `/api/tasks/${task.id}/accept`, { note: "The nit is fine." });
    expect(r.statusCode).toBe(200);
    expect(r.json().task).toMatchObject({
      status: "done",
      statusReason: "Accepted by the user after iteration 1: The nit is fine.",
    });
    const result = await call("GET", `/api/tasks/${task.id}/artifacts/result.md`);
    expect(result.body).toContain("Accepted by the user after iteration 1");
    expect(t.events(task.id).at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });
  });

  it("accept on a worktree task keeps its branch for landing", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: ISSUES_FOUND\n- a nit")] }),
    );
    const git = (...args: string[]) => execFileSync("git", args, { cwd: wd, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    writeFileSync(join(wd, ".gitignore"), ".fake-state/\n");
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "initial");
    const task = await file({ workingDir: wd, maxIterations: 1, isolation: "worktree" });
    expect((await taskEnded(t, task.id)).status).toBe("needs_attention");
    const r = await call("POST", `/api/tasks/${task.id}/accept`);
    expect(r.json().task).toMatchObject({
      status: "done",
      statusReason: "Accepted by the user after iteration 1",
    });
    expect(git("branch", "--list", `loop/${task.id}`)).toContain(`loop/${task.id}`);
    const branch = await call("GET", `/api/tasks/${task.id}/branch`);
    expect(branch.statusCode).toBe(200);
    expect(branch.json().branch).toBe(`loop/${task.id}`);
  });
});
