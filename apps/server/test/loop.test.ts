import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
afterEach(() => t?.close());

async function file(body: Record<string, unknown>): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add a flag", prompt: "Add a --json flag", ...body },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

async function finished(id: string, timeoutMs = 20_000): Promise<Task> {
  return taskEnded(t, id, timeoutMs);
}

const types = (events: LoopEvent[]) => events.map((e) => e.type);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a task runs Claude ↔ Codex iterations", () => {
  it("ends done when Codex says STATUS: DONE in iteration 3, with artifacts and ordered events", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("Did part 1"), claude.ok("Did part 2"), claude.ok("Did part 3")],
        codex: [
          codex.review("STATUS: ISSUES_FOUND\n- part 2 missing"),
          codex.review("**STATUS: ISSUES_FOUND**\n- part 3"),
          codex.review("STATUS: DONE\nAll good"),
        ],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 5 });
    expect(task).toMatchObject({ status: "queued", maxIterations: 5, currentIteration: 0, startedAt: null });
    const done = await finished(task.id);
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 3",
      currentIteration: 3,
    });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    const detail = (await t.api({ url: `/api/tasks/${task.id}` })).json();
    expect(
      detail.iterations.map((i: { n: number; verdict: string; status: string }) => [
        i.n,
        i.verdict,
        i.status,
      ]),
    ).toEqual([
      [1, "ISSUES_FOUND", "done"],
      [2, "ISSUES_FOUND", "done"],
      [3, "DONE", "done"],
    ]);

    const names = (await t.api({ url: `/api/tasks/${task.id}/artifacts` }))
      .json()
      .artifacts.map((a: { name: string }) => a.name);
    expect(names).toEqual([
      "001-changes.md",
      "001-claude-output.md",
      "001-claude-prompt.md",
      "001-codex-output.md",
      "001-codex-prompt.md",
      "002-changes.md",
      "002-claude-output.md",
      "002-claude-prompt.md",
      "002-codex-output.md",
      "002-codex-prompt.md",
      "003-changes.md",
      "003-claude-output.md",
      "003-claude-prompt.md",
      "003-codex-output.md",
      "003-codex-prompt.md",
      "changes.md",
      "result.md",
      "task.md",
    ]);
    const art = async (name: string) => {
      const r = await t.api({ url: `/api/tasks/${task.id}/artifacts/${name}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers["content-type"]).toBe("text/markdown; charset=utf-8");
      return r.body;
    };
    expect(await art("002-claude-output.md")).toContain("Did part 2");
    expect(await art("002-claude-prompt.md")).toContain("- part 2 missing");
    expect(await art("003-codex-prompt.md")).toContain("Did part 3");
    expect(await art("003-codex-output.md")).toContain("STATUS: DONE");
    expect(await art("task.md")).toContain("Add a --json flag");
    expect(await art("result.md")).toMatch(/Status: \*\*done\*\*/);
    expect((await t.api({ url: `/api/tasks/${task.id}/artifacts/nope.md` })).json().error.code).toBe(
      "artifact_not_found",
    );

    const events = t.events(task.id);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The row events (task.updated, iteration.updated) follow every write; subscriptions.test covers them.
    const skeleton = types(events).filter(
      (x) => x !== "agent.output" && x !== "task.usage" && x !== "task.updated" && x !== "iteration.updated",
    );
    const iteration = [
      "iteration.started",
      "agent.started",
      "agent.finished",
      "changes.recorded",
      "changes.recorded",
      "agent.started",
      "agent.finished",
      "review.verdict",
      "findings.updated",
      "iteration.finished",
    ];
    expect(skeleton).toEqual([
      "task.created",
      "task.started",
      ...iteration,
      ...iteration,
      ...iteration,
      "task.finished",
    ]);
    const started = events.filter((e) => e.type === "agent.started");
    expect(started.map((e) => e.data.agent)).toEqual([
      "claude",
      "codex",
      "claude",
      "codex",
      "claude",
      "codex",
    ]);
    for (const e of started) expect(e.data.pid).toBeGreaterThan(0);
    const lines = events.filter((e) => e.type === "agent.output");
    expect(lines.length).toBeGreaterThan(6);
    expect(lines.every((e) => e.iteration !== null)).toBe(true);
    const last = events.at(-1)!;
    expect(last).toMatchObject({
      type: "task.finished",
      data: { status: "done", reason: "Codex reported STATUS: DONE in iteration 3" },
    });
    expect(done.usage.claude.inputTokens).toBeGreaterThan(0);
    expect(done.usage.codex.inputTokens).toBeGreaterThan(0);
  });

  it("uses LOOP_MAX_ITERATIONS when the task gives no cap", async () => {
    t = await createTestApp({ LOOP_MAX_ITERATIONS: "1" });
    const wd = t.workdir(
      scenario({ claude: [claude.ok("x")], codex: [codex.review("STATUS: ISSUES_FOUND\n- a")] }),
    );
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task).toMatchObject({
      maxIterations: 1,
      status: "needs_attention",
      statusReason: "Reached the iteration cap (1) with issues remaining",
    });
  });

  it("counts a review without a status line as ISSUES_FOUND and warns", async () => {
    t = await createTestApp();
    // The second codex call is the re-ask for the verdict (verdict-reask.test.ts), which gives none either.
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("x")],
        codex: [codex.review("Looks fine to me."), codex.review("Fine."), codex.review("STATUS: DONE")],
      }),
    );
    const task = await finished((await file({ workingDir: wd, maxIterations: 3 })).id);
    expect(task.statusReason).toBe("Codex reported STATUS: DONE in iteration 2");
    const warnings = t.events(task.id).filter((e) => e.type === "task.warning");
    expect(warnings.map((w) => (w.data as { message: string }).message)).toContainEqual(
      expect.stringMatching(/no STATUS line.*ISSUES_FOUND/),
    );
    expect(t.events(task.id).find((e) => e.type === "review.verdict")?.data).toMatchObject({
      status: "ISSUES_FOUND",
    });
  });
});

describe("failures end the task as failed with a reason a person can act on", () => {
  const cases: Array<[string, () => object, RegExp]> = [
    [
      "claude not logged in",
      () => ({ claude: [claude.notLoggedIn()] }),
      /^claude exited with code 1: Not logged in · Please run \/login/,
    ],
    ["claude API error", () => ({ claude: [claude.apiError()] }), /^claude exited with code 1: API Error/],
    [
      "claude non-zero exit",
      () => ({ claude: [claude.exit(3, "boom on stderr")] }),
      /claude exited with code 3.*boom on stderr/,
    ],
    [
      "claude exit 0 without a result line",
      () => ({ claude: [claude.noResult()] }),
      /claude exited with code 0 without a result line/,
    ],
    [
      "codex failed turn",
      () => ({ claude: [claude.ok("x")], codex: [codex.failedTurn("unexpected status 401 Unauthorized")] }),
      /codex.*401 Unauthorized/,
    ],
    [
      "codex empty review",
      () => ({ claude: [claude.ok("x")], codex: [codex.empty()] }),
      /codex returned an empty review/,
    ],
  ];
  it.each(cases)("%s", async (_name, make, reason) => {
    t = await createTestApp();
    const wd = t.workdir(scenario(make()));
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("failed");
    expect(task.statusReason).toMatch(reason);
    const fin = t
      .events(task.id)
      .filter((e) => e.type === "agent.finished")
      .at(-1)!;
    expect(fin.data).toMatchObject({ ok: false, error: expect.any(String) });
    expect(t.events(task.id).at(-1)).toMatchObject({ type: "task.finished", data: { status: "failed" } });
  });

  it("a missing binary says which variable to set", async () => {
    t = await createTestApp({ LOOP_CLAUDE_BIN: "/nonexistent/claude" });
    const wd = t.workdir();
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("failed");
    expect(task.statusReason).toMatch(/nonexistent\/claude/);
  });

  it("a hung agent is stopped at the timeout with its whole process tree", async () => {
    t = await createTestApp({ LOOP_ITERATION_TIMEOUT_MS: "1500" });
    const wd = t.workdir(scenario({ claude: [claude.grandchildThenHang("grandchild.pid", true)] }));
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("failed");
    expect(task.statusReason).toMatch(/timed out/);
    const claudePid = t.events(task.id).find((e) => e.type === "agent.started")!.data as { pid: number };
    const grandchild = Number(readFileSync(join(wd, "grandchild.pid"), "utf8"));
    expect(grandchild).toBeGreaterThan(0);
    await waitFor(() => !alive(claudePid.pid) && !alive(grandchild), 5000, "processes to be gone");
    const ps = execFileSync("ps", ["-A", "-o", "pid=,args="], { encoding: "utf8" });
    expect(ps).not.toContain(wd);
  });
});

describe("idle runs", () => {
  it("stops a codex that only prints reconnect notices (no network) at the idle timeout, not the wall clock", async () => {
    t = await createTestApp({ LOOP_IDLE_TIMEOUT_MS: "800", LOOP_ITERATION_TIMEOUT_MS: "60000" });
    const wd = t.workdir(scenario({ claude: [claude.ok("done")], codex: [codex.offline(50)] }));
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("failed");
    // The idle stop, not the 60 s wall clock ("timed out after …").
    expect(task.statusReason).toMatch(/codex made no progress for .* only retry\/reconnect notices/);
    // It printed all along: a plain "no output" timer would have waited the full 60 s.
    const notices = t
      .events(task.id)
      .filter(
        (e) => e.type === "agent.output" && e.data.agent === "codex" && e.data.line.includes("Reconnecting"),
      );
    expect(notices.length).toBeGreaterThan(5);
  });

  it("keeps a run alive while it prints real output, however long", async () => {
    // 30 lines 100 ms apart: twice the idle limit in all (with room for a slow node start-up).
    t = await createTestApp({ LOOP_IDLE_TIMEOUT_MS: "1500" });
    const wd = t.workdir(scenario({ claude: [claude.slow(30, 100)], codex: [codex.review("STATUS: DONE")] }));
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("done");
  });
});

describe("agents that answer but do not exit", () => {
  it("the loop goes on after the exit grace, with a warning, and no process is left", async () => {
    t = await createTestApp({}, { settings: { exitGraceMs: 300 } });
    const wd = t.workdir(
      scenario({ claude: [claude.ok("Did it.", { linger: true })], codex: [codex.review("STATUS: DONE")] }),
    );
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });
    const warnings = t.events(task.id).flatMap((e) => (e.type === "task.warning" ? [e.data.message] : []));
    expect(warnings).toEqual([
      "claude did not exit within 300 ms after its result; its process tree was stopped",
    ]);
    const started = t.events(task.id).find((e) => e.type === "agent.started")!.data as { pid: number };
    expect(alive(started.pid)).toBe(false);
  });
});

describe("output budget", () => {
  it("stops storing a runaway agent's lines past LOOP_MAX_OUTPUT_MB, says so, and the run goes on", async () => {
    t = await createTestApp({ LOOP_MAX_OUTPUT_MB: "1" });
    const wd = t.workdir(scenario({ claude: [claude.flood(30_000)], codex: [codex.review("STATUS: DONE")] }));
    const task = await finished((await file({ workingDir: wd })).id);
    expect(task.status).toBe("done");
    const events = t.events(task.id);
    const stored = events.filter((e) => e.type === "agent.output" && e.data.agent === "claude");
    const bytes = stored.reduce((n, e) => n + (e.type === "agent.output" ? e.data.line.length + 1 : 0), 0);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stored.length).toBeGreaterThan(1000);
    expect(stored.length).toBeLessThan(30_000);
    const warnings = events.flatMap((e) => (e.type === "task.warning" ? [e.data.message] : []));
    expect(warnings[0]).toBe(
      "claude printed more than 1 MB in iteration 1 (LOOP_MAX_OUTPUT_MB): further lines are not stored; the run goes on",
    );
    expect(warnings[1]).toMatch(/^claude output not stored in iteration 1: \d+ lines, [\d.]+ MB$/);
    const dropped = Number(/: (\d+) lines/.exec(warnings[1]!)![1]);
    // Every line the agent printed is either stored or counted: init + 30 000 + result.
    expect(stored.length + dropped).toBe(30_002);
    // The result line was past the budget, yet the output was read from it.
    expect(readFileSync(join(t.config.artifactsDir, task.id, "001-claude-output.md"), "utf8")).toContain(
      "Printed 30000 lines.",
    );
  });
});

// One task at a time in queue order, and the queue's depth, are proven in-process
// (packages/core/test/parallel.test.ts, loop-resume.test.ts); here what HTTP answers.
describe("queue", () => {
  it("health counts the running and queued tasks; the 6th queued task is refused with 429", async () => {
    t = await createTestApp();
    const hang = t.workdir(scenario({ claude: [claude.hang()] }));
    const first = await file({ workingDir: hang });
    await waitFor(() => t.repos.tasks.get(first.id)?.status === "running", 10_000, "first to run");
    for (let i = 0; i < 5; i++) await file({ workingDir: t.workdir(), title: `q${i}` });
    const health = (await t.api({ url: "/api/health" })).json();
    expect(health.queue).toEqual({ running: 1, queued: 5, maxDepth: 5, paused: false });
    const sixth = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "t", prompt: "p", workingDir: t.workdir() },
      headers: { "content-type": "application/json" },
    });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json().error.code).toBe("queue_full");
    await t.api({ method: "POST", url: "/api/queue/pause" });
    await t.api({ method: "POST", url: `/api/tasks/${first.id}/cancel` });
  });
});

describe("cancel and retry", () => {
  it("cancel stops a running agent and its tree; cancel again is 409; retry files a new task", async () => {
    t = await createTestApp();
    const wd = t.workdir(scenario({ claude: [claude.grandchildThenHang("gc.pid")] }));
    const task = await file({ workingDir: wd });
    await waitFor(() => existsSync(join(wd, "gc.pid")), 10_000, "grandchild");
    const r = await t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    expect(r.statusCode).toBe(200);
    expect(r.json().task).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled by the user during iteration 1 (claude was stopped)",
    });
    const gc = Number(readFileSync(join(wd, "gc.pid"), "utf8"));
    await waitFor(() => !alive(gc), 5000, "grandchild gone");
    const again = await t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("not_cancellable");
    expect(types(t.events(task.id))).toContain("task.cancel_requested");

    const retry = await t.api({ method: "POST", url: `/api/tasks/${task.id}/retry` });
    expect(retry.statusCode).toBe(201);
    expect(retry.json().task).toMatchObject({
      status: "queued",
      retryOf: task.id,
      title: task.title,
      prompt: task.prompt,
      workingDir: wd,
    });
    await t.api({ method: "POST", url: `/api/tasks/${retry.json().task.id}/cancel` });
  });

  it("a queued task is cancelled at once; retry of an unfinished task is 409", async () => {
    t = await createTestApp();
    const hang = t.workdir(scenario({ claude: [claude.hang()] }));
    const first = await file({ workingDir: hang });
    const second = await file({ workingDir: hang });
    const r = await t.api({ method: "POST", url: `/api/tasks/${second.id}/cancel` });
    expect(r.json().task).toMatchObject({ status: "cancelled", statusReason: "Cancelled before it started" });
    const retry = await t.api({ method: "POST", url: `/api/tasks/${first.id}/retry` });
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.code).toBe("not_retryable");
    await t.api({ method: "POST", url: `/api/tasks/${first.id}/cancel` });
  });
});
