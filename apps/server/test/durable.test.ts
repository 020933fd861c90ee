import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findMarked, isRunning, killMarked, MARKER_VAR, newMarker } from "@loop/core";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

// In argv so the suite teardown would catch a stray of this checkout.
const FIXTURES_MARK = fileURLToPath(new URL("../../../packages/core/test/fixtures", import.meta.url));

let t: TestApp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const json = { "content-type": "application/json" };

async function file(app: TestApp, body: Record<string, unknown>): Promise<Task> {
  const r = await app.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "t", prompt: "p", ...body },
    headers: json,
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

const settled = (
  app: TestApp,
  id: string,
  statuses = ["done", "needs_attention", "failed", "cancelled", "paused"],
) =>
  waitFor(
    () => {
      const task = app.repos.tasks.get(id);
      return task && statuses.includes(task.status) ? task : undefined;
    },
    20_000,
    `task ${id} to settle`,
  );

const calls = (wd: string, cli: "claude" | "codex") =>
  existsSync(join(wd, ".fake-state"))
    ? readdirSync(join(wd, ".fake-state")).filter((f) => f.startsWith(`${cli}-call-`)).length
    : 0;

const resume = (app: TestApp, id: string, payload?: object) =>
  app.api({ method: "POST", url: `/api/tasks/${id}/resume`, ...(payload && { payload, headers: json }) });

describe("resume continues from the last finished agent run", () => {
  it("a cancelled task resumes; a task at its cap resumes with extraIterations only; 409 for the others", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.hang(), claude.ok("ok")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more")],
      }),
    );
    const task = await file(t, { workingDir: wd, maxIterations: 1 });
    await waitFor(() => calls(wd, "claude") === 1, 10_000, "claude started");
    const c = await t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    expect(c.json().task.status).toBe("cancelled");
    expect((await resume(t, task.id)).statusCode).toBe(200);
    const capped = await settled(t, task.id, ["needs_attention", "failed", "done"]);
    expect(capped).toMatchObject({
      status: "needs_attention",
      statusReason: expect.stringMatching(/cap \(1\)/),
    });

    const refused = await resume(t, task.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: "not_resumable",
      message: expect.stringMatching(/extraIterations/),
    });
    const bad = await resume(t, task.id, { extraIterations: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe("extraIterations: must be at least 1");
    const more = await resume(t, task.id, { extraIterations: 2 });
    expect(more.statusCode, more.body).toBe(200);
    expect(more.json().task.maxIterations).toBe(3);
    const again = await settled(t, task.id, ["needs_attention", "failed", "done"]);
    expect(again).toMatchObject({ status: "needs_attention", currentIteration: 3 });
    expect(t.repos.iterations.list(task.id).map((i) => i.n)).toEqual([1, 2, 3]);

    const doneWd = t.workdir(scenario({ claude: [claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }));
    const done = await file(t, { workingDir: doneWd });
    await settled(t, done.id);
    expect((await resume(t, done.id)).json().error.code).toBe("not_resumable");
    expect((await resume(t, "nope")).statusCode).toBe(404);
  });
});

// What resume and queue control do is proven in-process (packages/core/test/loop-resume.test.ts,
// loop-durable.test.ts: what a resume keeps, a paused queue and its order across a restart); here
// the HTTP side of them.
describe("queue control over HTTP", () => {
  it("pause, order, move (top, down, up), refusals and delete answer with the queue", async () => {
    t = await createTestApp();
    const paused = await t.api({ method: "POST", url: "/api/queue/pause" });
    expect(paused.json()).toMatchObject({ paused: true });
    const wd = t.workdir(scenario({ claude: [claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }));
    const a = await file(t, { title: "a", workingDir: wd });
    const b = await file(t, { title: "b", workingDir: wd });
    const c = await file(t, { title: "c", workingDir: wd });
    const gone = await file(t, { title: "gone", workingDir: wd });
    expect((await t.api({ method: "POST", url: `/api/tasks/${gone.id}/cancel` })).statusCode).toBe(200);
    const order = async () =>
      ((await t!.api({ url: "/api/queue" })).json().tasks as Task[]).map((x) => x.title);
    expect(await order()).toEqual(["a", "b", "c"]);
    const move = (id: string, to: string) =>
      t!.api({ method: "POST", url: `/api/tasks/${id}/move`, payload: { to }, headers: json });
    expect((await move(c.id, "top")).json().tasks.map((x: Task) => x.title)).toEqual(["c", "a", "b"]);
    await move(a.id, "down");
    expect(await order()).toEqual(["c", "b", "a"]);
    await move(a.id, "up");
    expect(await order()).toEqual(["c", "a", "b"]);
    const notQueued = await move(gone.id, "top");
    expect(notQueued.statusCode).toBe(409);
    expect(notQueued.json().error.code).toBe("not_queued");
    expect((await move(a.id, "sideways")).statusCode).toBe(400);
    expect((await t.api({ method: "DELETE", url: `/api/tasks/${b.id}` })).statusCode).toBe(200);
    expect(await order()).toEqual(["c", "a"]);
    expect((await t.api({ url: "/api/queue" })).json()).toMatchObject({ paused: true });
    expect((await t.api({ url: "/api/health" })).json().queue).toMatchObject({ paused: true, queued: 2 });
    expect(t.repos.tasks.get(c.id)?.status).toBe("queued");
    const resumed = await t.api({ method: "POST", url: "/api/queue/resume" });
    expect(resumed.json()).toMatchObject({ paused: false });
    await settled(t, a.id);
    const started = t.repos.events
      .listAfter({ afterId: 0, limit: 100_000 })
      .filter((e) => e.type === "task.started")
      .map((e) => e.taskId);
    expect(started).toEqual([c.id, a.id]);
  });
});

describe("a server that died", () => {
  it("leaves its running task paused at the next start, saying why, with the iteration interrupted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-crash-"));
    dirs.push(dir);
    t = await createTestApp({}, { dir });
    const wd = t.workdir();
    const task = t.repos.tasks.create({ title: "t", prompt: "p", workingDir: wd, maxIterations: 3 });
    t.repos.tasks.update(task.id, {
      status: "running",
      currentIteration: 2,
      startedAt: new Date().toISOString(),
    });
    t.repos.iterations.start(task.id, 2);
    t.repos.agentRuns.begin({ taskId: task.id, iteration: 2, agent: "codex", marker: "loop-test-gone" });
    // A record from another (dead) server process.
    t.repos.handle.sqlite.prepare("UPDATE agent_runs SET server_pid = 999999").run();
    await t.close();
    t = await createTestApp({}, { dir });
    const after = t.repos.tasks.get(task.id)!;
    expect(after).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a crash of the server during iteration 2 (codex); resume it to continue from there",
    });
    expect(t.repos.iterations.get(task.id, 2)?.status).toBe("interrupted");
    expect(t.repos.agentRuns.listOpen()).toEqual([]);
    const types = t.events(task.id).map((e) => e.type);
    expect(types.filter((x) => x !== "task.updated" && x !== "iteration.updated")).toEqual([
      "iteration.finished",
      "task.interrupted",
    ]);
  });
});

describe("no orphans after a run", () => {
  it("a tool process started in its own session just before claude exits is stopped with the run", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({ claude: [claude.ok("ok", { leave: "left.pid" })], codex: [codex.review("STATUS: DONE")] }),
    );
    const task = await file(t, { workingDir: wd });
    const done = await settled(t, task.id);
    expect(done.status).toBe("done");
    const left = Number(readFileSync(join(wd, "left.pid"), "utf8"));
    expect(left).toBeGreaterThan(0);
    // Gone by the time the run resolved, found by the run's environment marker.
    expect(isRunning(left)).toBe(false);
    expect(t.repos.agentRuns.listOpen()).toEqual([]);
  });

  it.each(["proc", "ps"] as const)(
    "the %s sweep finds marked processes whatever their parent",
    async (method) => {
      const marker = newMarker();
      const { spawn } = await import("node:child_process");
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)", FIXTURES_MARK], {
        detached: true,
        stdio: "ignore",
        env: { ...process.env, [MARKER_VAR]: marker },
      });
      child.unref();
      await waitFor(() => child.pid && isRunning(child.pid), 5000, "child");
      expect((await findMarked([marker], method)).map((p) => p.pid)).toEqual([child.pid]);
      expect(await findMarked([newMarker()], method)).toEqual([]);
      expect(await killMarked([marker], method)).toEqual([child.pid]);
      await waitFor(() => !isRunning(child.pid!), 5000, "child gone");
    },
  );
});
