import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";

let t: TestApp;
afterEach(() => t?.close());

const post = (body: unknown) =>
  t.api({
    method: "POST",
    url: "/api/tasks",
    payload: body as object,
    headers: { "content-type": "application/json" },
  });

describe("POST /api/tasks validation", () => {
  it.each([
    [{}, "title: is required; prompt: is required; workingDir: is required"],
    [{ title: "", prompt: "p", workingDir: "/tmp" }, "title: must not be empty"],
    [{ title: "x".repeat(201), prompt: "p", workingDir: "/tmp" }, "title: must be at most 200 characters"],
    [{ title: "t", prompt: "", workingDir: "/tmp" }, "prompt: must not be empty"],
    [
      { title: "t", prompt: "x".repeat(100_001), workingDir: "/tmp" },
      "prompt: must be at most 100,000 characters",
    ],
    [
      { title: "t", prompt: "p", workingDir: "tmp" },
      "workingDir: must be an absolute path (starting with /)",
    ],
    [{ title: "t", prompt: "p" }, "workingDir: is required"],
    [{ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 0 }, "maxIterations: must be at least 1"],
    [
      { title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 101 },
      "maxIterations: must be at most 100",
    ],
    [
      { title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 1.5 },
      "maxIterations: must be a whole number",
    ],
    [{ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: "3" }, "maxIterations: must be a number"],
    [{ title: "t", prompt: "p", workingDir: "/tmp", color: "red" }, "unknown field: color"],
    [[1, 2], "the body must be a JSON object"],
    [{ title: "", prompt: "p", workingDir: "" }, "title: must not be empty; workingDir: must not be empty"],
    [{ title: "   ", prompt: "p", workingDir: "/tmp" }, "title: must not be empty"],
    [
      { title: "t", prompt: "p", workingDir: "/tmp", worker: "codex", reviewer: "codex" },
      "reviewer: must be a different agent from the worker",
    ],
    [
      { title: "t", prompt: "p", workingDir: "/tmp", worker: "gemini" },
      'worker: must be "claude" or "codex"',
    ],
  ])("400 invalid_body for %j naming the field", async (body, message) => {
    t = await createTestApp();
    const r = await post(body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe("invalid_body");
    // The whole message: each field once, each problem said once.
    expect(r.json().error.message).toBe(message);
    expect(t.repos.tasks.list({ limit: 10 }).tasks).toHaveLength(0);
  });

  it.each([
    ['{"title": "t",', "invalid JSON", "The body is not valid JSON"],
    ["", "an empty body", "Body cannot be empty when content-type is set to 'application/json'"],
  ])("400 invalid_body for %j (%s), said once", async (payload, _what, said) => {
    t = await createTestApp();
    const r = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload,
      headers: { "content-type": "application/json" },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe("invalid_body");
    expect(r.json().error.message).toBe(said);
  });

  it("400 invalid_working_dir for a missing directory and for a file", async () => {
    t = await createTestApp();
    const missing = await post({ title: "t", prompt: "p", workingDir: join(t.dir, "nope") });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: "invalid_working_dir" });
    expect(missing.json().error.message).toMatch(/does not exist/);
    const file = join(t.dir, "file.txt");
    writeFileSync(file, "x");
    const notDir = await post({ title: "t", prompt: "p", workingDir: file });
    expect(notDir.json().error.message).toMatch(/not a directory/);
  });
});

describe("POST /api/tasks with after (chains)", () => {
  it("400 invalid_after for an unknown id and for a chain that would close a cycle; 201 for a known one", async () => {
    t = await createTestApp({ LOOP_MAX_PARALLEL: "2" });
    const unknown = await post({ title: "t", prompt: "p", workingDir: t.dir, after: "01NOSUCHTASK" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toEqual({
      code: "invalid_after",
      message: "after: no task with id 01NOSUCHTASK",
    });
    // Rows a client could not have made (ids chained both ways) still never make a loop.
    const row = { prompt: "p", workingDir: t.dir, maxIterations: 1 };
    t.repos.tasks.create({ ...row, id: "A", title: "a", after: "B" });
    t.repos.tasks.create({ ...row, id: "B", title: "b", after: "A" });
    const cycle = await post({ title: "t", prompt: "p", workingDir: t.dir, after: "A" });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.code).toBe("invalid_after");
    expect(cycle.json().error.message).toMatch(/^after: A would make a cycle of chained tasks/);
    const empty = await post({ title: "t", prompt: "p", workingDir: t.dir, after: "" });
    expect(empty.json().error).toMatchObject({ code: "invalid_body", message: "after: must not be empty" });
    t.repos.tasks.update("A", { status: "done" });
    t.repos.tasks.update("B", { status: "done" });
    const first = t.repos.tasks.create({ ...row, title: "first" });
    const chained = await post({ title: "t", prompt: "p", workingDir: t.dir, after: first.id });
    expect(chained.statusCode).toBe(201);
    expect(chained.json().task.after).toBe(first.id);
  });
});

describe("reads", () => {
  it("GET /api/tasks carries the newest event id, so a client can follow /api/events from there", async () => {
    t = await createTestApp();
    const empty = (await t.api({ url: "/api/tasks" })).json();
    expect(empty).toEqual({ tasks: [], nextCursor: null, lastEventId: 0 });
    const task = t.repos.tasks.create({ title: "a", prompt: "p", workingDir: t.dir, maxIterations: 1 });
    const e = t.bus.emit({ taskId: task.id, iteration: null, type: "task.warning", data: { message: "m" } });
    const list = (await t.api({ url: "/api/tasks" })).json();
    expect(list.lastEventId).toBe(e?.id);
    expect(list.tasks.map((x: { id: string }) => x.id)).toEqual([task.id]);
  });

  it("GET /api/tasks rejects a bad query; unknown ids are 404 task_not_found", async () => {
    t = await createTestApp();
    expect((await t.api({ url: "/api/tasks?limit=0" })).statusCode).toBe(400);
    expect((await t.api({ url: "/api/tasks?status=bogus" })).json().error.code).toBe("invalid_query");
    expect((await t.api({ url: "/api/tasks?wat=1" })).statusCode).toBe(400);
    for (const url of ["/api/tasks/nope", "/api/tasks/nope/artifacts", "/api/tasks/nope/artifacts/task.md"]) {
      const r = await t.api({ url });
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe("task_not_found");
    }
    for (const url of ["/api/tasks/nope/cancel", "/api/tasks/nope/retry"]) {
      expect((await t.api({ method: "POST", url })).json().error.code).toBe("task_not_found");
    }
  });

  it("GET /api/health reports agents, queue and the default cap", async () => {
    t = await createTestApp({ LOOP_MAX_ITERATIONS: "7" });
    const r = await t.api({ url: "/api/health" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      ok: true,
      agents: { claude: { found: true }, codex: { found: true } },
      queue: { running: 0, queued: 0, maxDepth: 5 },
      defaults: { maxIterations: 7 },
    });
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(r.json().version).toBe(pkg.version);
  });
});

describe("DELETE /api/tasks/:id", () => {
  it("removes a finished task with its iterations, events and artifacts; refuses unfinished ones", async () => {
    t = await createTestApp();
    const app = t;
    const wd = app.workdir({
      claude: [{ kind: "ok", text: "done" }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    const created = await app.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "t", prompt: "p", workingDir: wd, maxIterations: 2 },
    });
    const id = created.json().task.id as string;
    // Another task's history must survive.
    const other = app.repos.tasks.create({ title: "o", prompt: "p", workingDir: wd, maxIterations: 1 });
    app.repos.tasks.update(other.id, { status: "done", finishedAt: new Date().toISOString() });
    app.bus.emit({ taskId: other.id, iteration: null, type: "task.warning", data: { message: "keep me" } });

    const early = await app.api({ method: "DELETE", url: `/api/tasks/${id}` });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("not_deletable");
    expect(early.json().error.message).toContain("cancel it");

    await waitFor(() => app.repos.tasks.get(id)?.status === "done", 20_000, "task done");
    expect(app.events(id).length).toBeGreaterThan(5);
    expect(existsSync(join(app.config.artifactsDir, id, "result.md"))).toBe(true);

    const del = await app.api({ method: "DELETE", url: `/api/tasks/${id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ deleted: id });
    expect((await app.api({ url: `/api/tasks/${id}` })).statusCode).toBe(404);
    expect(app.events(id)).toEqual([]);
    expect(app.repos.iterations.list(id)).toEqual([]);
    expect(existsSync(join(app.config.artifactsDir, id))).toBe(false);
    expect(
      app
        .events(other.id)
        .map((e) => e.type)
        .filter((x) => x !== "task.updated" && x !== "iteration.updated"),
    ).toEqual(["task.warning"]);

    const again = await app.api({ method: "DELETE", url: `/api/tasks/${id}` });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe("task_not_found");
  });
});

describe("every state a task can be left in has a way out", () => {
  const queuePaused = () => t.api({ method: "POST", url: "/api/queue/pause" });

  /** A task as a crash (or an older server's recovery) can leave it: paused with its iterations stored. */
  function stranded(
    maxIterations: number,
    verdicts: Array<"DONE" | "ISSUES_FOUND">,
    status: "paused" | "needs_attention",
  ) {
    const task = t.repos.tasks.create({ title: "t", prompt: "p", workingDir: t.workdir(), maxIterations });
    verdicts.forEach((verdict, i) => {
      t.repos.iterations.start(task.id, i + 1);
      t.repos.iterations.update(task.id, i + 1, {
        status: "done",
        verdict,
        claudeOutput: "c",
        review: `STATUS: ${verdict}`,
      });
    });
    return t.repos.tasks.update(task.id, {
      status,
      statusReason: "left so",
      currentIteration: verdicts.length,
    });
  }

  it("a paused task with nothing left to run (Codex's DONE stored) can be retried and deleted", async () => {
    t = await createTestApp();
    await queuePaused();
    const task = stranded(3, ["ISSUES_FOUND", "DONE"], "paused");
    const resume = await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` });
    expect(resume.statusCode).toBe(409);
    expect(resume.json().error.message).toMatch(/already reported STATUS: DONE in iteration 2/);
    const retry = await t.api({ method: "POST", url: `/api/tasks/${task.id}/retry` });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json().task).toMatchObject({ status: "queued", retryOf: task.id });
    const del = await t.api({ method: "DELETE", url: `/api/tasks/${task.id}` });
    expect(del.statusCode, del.body).toBe(200);
    expect(t.repos.tasks.get(task.id)).toBeUndefined();
  });

  it("a task waiting out a usage limit (its run still here) is cancelled before it can be deleted or retried", async () => {
    t = await createTestApp({}, { settings: { usageLimitMarginMs: 0 } });
    const wd = t.workdir({
      claude: [
        {
          kind: "is_error",
          text: `Claude AI usage limit reached|${Math.floor(Date.now() / 1000) + 600}`,
          apiErrorStatus: 429,
        },
      ],
    });
    const id = (await post({ title: "t", prompt: "p", workingDir: wd })).json().task.id as string;
    await waitFor(() => t.repos.tasks.get(id)?.status === "paused", 20_000, "the usage-limit wait");
    const del = await t.api({ method: "DELETE", url: `/api/tasks/${id}` });
    expect(del.statusCode).toBe(409);
    expect(del.json().error.code).toBe("not_deletable");
    expect((await t.api({ method: "POST", url: `/api/tasks/${id}/retry` })).statusCode).toBe(409);
    const cancel = await t.api({ method: "POST", url: `/api/tasks/${id}/cancel` });
    expect(cancel.json().task.status).toBe("cancelled");
    expect((await t.api({ method: "DELETE", url: `/api/tasks/${id}` })).statusCode).toBe(200);
  });

  it("at the iteration cap of 100 the 409 does not offer extraIterations, which cannot raise it", async () => {
    t = await createTestApp();
    await queuePaused();
    const task = stranded(100, Array(100).fill("ISSUES_FOUND"), "needs_attention");
    const r = await t.api({
      method: "POST",
      url: `/api/tasks/${task.id}/resume`,
      payload: { extraIterations: 5 },
      headers: { "content-type": "application/json" },
    });
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toEqual({
      code: "not_resumable",
      message: `Task ${task.id} cannot be resumed: it reached its iteration cap (100); that is the most a task may have: retry it to start over`,
    });
    const below = stranded(99, Array(99).fill("ISSUES_FOUND"), "needs_attention");
    const more = await t.api({ method: "POST", url: `/api/tasks/${below.id}/resume` });
    expect(more.json().error.message).toMatch(/cap \(99\); resume it with extraIterations to run more$/);
    const retry = await t.api({ method: "POST", url: `/api/tasks/${task.id}/retry` });
    expect(retry.statusCode).toBe(201);
  });
});
