import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EventOf,
  type HealthResponse,
  type Iteration,
  type LimitsResponse,
  type LoopEvent,
  sumUsage,
  type Task,
} from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

// Issue 14: usage per agent, budgets, subscription windows — against the fake CLIs, real SQLite, real HTTP.
let t: TestApp;
afterEach(() => t?.close());

async function file(body: Record<string, unknown>): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Spend", prompt: "Do it", ...body },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

async function ended(id: string, timeoutMs = 30_000): Promise<Task> {
  return taskEnded(t, id, timeoutMs);
}

async function detail(id: string): Promise<{ task: Task; iterations: Iteration[] }> {
  const r = await t.api({ method: "GET", url: `/api/tasks/${id}` });
  expect(r.statusCode).toBe(200);
  return r.json();
}

const resume = (id: string, body: Record<string, unknown>) =>
  t.api({
    method: "POST",
    url: `/api/tasks/${id}/resume`,
    payload: body,
    headers: { "content-type": "application/json" },
  });

const of = <T extends LoopEvent["type"]>(events: LoopEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

// What the fake CLIs report per run (packages/core/test/fixtures): claude 1200 in / 340 out / 800
// cache read / 100 cache write, 1 turn, 1000 ms API time; codex 5000 in (1200 cached) / 600 out.
const CLAUDE_RUN = { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 800, cacheWriteTokens: 100 };

describe("usage per agent", () => {
  it("keeps Claude's and Codex's usage apart per iteration and per task, never summed across agents", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("part 1", { cost: 0.01 }), claude.ok("part 2", { cost: 0.02 })],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- part 2"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 3 });
    expect((await ended(task.id)).status).toBe("done");
    const { task: done, iterations } = await detail(task.id);
    const codexRun = iterations[0]!.usage.codex;
    expect(codexRun.inputTokens).toBeGreaterThan(0);
    expect(iterations.map((i) => i.usage.claude)).toEqual([
      { ...CLAUDE_RUN, costUsd: 0.01, turns: 1, apiMs: 1000 },
      { ...CLAUDE_RUN, costUsd: 0.02, turns: 1, apiMs: 1000 },
    ]);
    // Had Codex's tokens been added to Claude's (or the other way), these exact numbers would differ.
    expect(done.usage.claude).toEqual({
      costUsd: 0.03,
      inputTokens: 2400,
      outputTokens: 680,
      cacheReadTokens: 1600,
      cacheWriteTokens: 200,
      turns: 2,
      apiMs: 2000,
    });
    expect(done.usage.codex.inputTokens).toBe(2 * codexRun.inputTokens);
    expect(done.usage.codex.cachedInputTokens).toBe(2 * codexRun.cachedInputTokens);
    expect(done.usage).toEqual(sumUsage(iterations.map((i) => i.usage)));

    // The list carries the same per-agent totals.
    const list = await t.api({ method: "GET", url: "/api/tasks" });
    expect(list.json().tasks[0].usage).toEqual(done.usage);
    // task.usage events say which agent a run's usage belongs to.
    const usage = of(t.events(task.id), "task.usage");
    expect(usage.map((e) => e.data.agent)).toEqual(["claude", "codex", "claude", "codex"]);
    expect(usage[0]!.data.usage.codex.inputTokens).toBe(0);
    expect(usage[1]!.data.usage.claude.inputTokens).toBe(0);
    // result.md shows them apart.
    const result = readFileSync(join(t.config.artifactsDir, task.id, "result.md"), "utf8");
    expect(result).toContain(
      "- Claude: cost $0.0300; tokens in / out / cache read / cache write: 2400 / 680 / 1600 / 200; 2 turns",
    );
    expect(result).toContain(
      `- Codex: tokens in / cached in / out / reasoning: ${2 * codexRun.inputTokens} /`,
    );
  });

  it("keeps the totals right across resumes: a repeated run adds to its iteration, earlier ones stay", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        // Iteration 1's claude fails (its usage is still reported), the resume repeats it.
        claude: [claude.apiError(), claude.ok("part 1"), claude.ok("part 2")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 1 });
    expect((await ended(task.id)).status).toBe("failed");
    const first = (await detail(task.id)).task.usage.claude;
    expect(first).toMatchObject({ inputTokens: 1200, turns: 1, costUsd: 0 });

    expect((await resume(task.id, {})).statusCode).toBe(200);
    expect((await ended(task.id)).status).toBe("needs_attention"); // the cap, after iteration 1
    expect((await resume(task.id, { extraIterations: 1 })).statusCode).toBe(200);
    expect((await ended(task.id)).status).toBe("done");

    const { task: done, iterations } = await detail(task.id);
    expect(iterations).toHaveLength(2);
    // Iteration 1: both of its claude runs (the failed one and the repeat), one codex run.
    expect(iterations[0]!.usage.claude).toMatchObject({ inputTokens: 2400, turns: 2, costUsd: 0.0123 });
    expect(iterations[1]!.usage.claude).toMatchObject({ inputTokens: 1200, turns: 1, costUsd: 0.0123 });
    expect(done.usage.claude).toMatchObject({ inputTokens: 3600, turns: 3, costUsd: 0.0246 });
    expect(done.usage.codex.inputTokens).toBe(2 * iterations[1]!.usage.codex.inputTokens);
    expect(done.usage).toEqual(sumUsage(iterations.map((i) => i.usage)));
  });
});

// What budgets do to the loop (what is left passed to each claude run, claude's own budget stop, the
// gate between iterations, resume with a raised budget, the Codex token budget) is proven in-process:
// packages/core/test/loop-budgets.test.ts, loop-transitions.test.ts; the --max-budget-usd argv and the
// CLI's budget stop with the fake claude in packages/core/test/agents.test.ts. Here the HTTP side.
describe("budgets", () => {
  it("LOOP_MAX_COST_USD is the default budget of a task filed without one; resume takes a raised budget", async () => {
    t = await createTestApp({ LOOP_MAX_COST_USD: "0.02" });
    await t.api({ method: "POST", url: "/api/queue/pause" });
    const task = await file({ workingDir: t.workdir(), maxIterations: 5 });
    expect(task.maxCostUsd).toBe(0.02);
    const own = await file({ workingDir: t.workdir(), maxCostUsd: 0.5 });
    expect(own.maxCostUsd).toBe(0.5);
    await t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    const resumed = await resume(task.id, { maxCostUsd: 0.05 });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json().task).toMatchObject({ status: "queued", maxCostUsd: 0.05 });
    expect((await detail(task.id)).task.maxCostUsd).toBe(0.05);
  });

  it("rejects a budget that is not a positive number", async () => {
    t = await createTestApp();
    const r = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "x", prompt: "y", workingDir: t.workdir(), maxCostUsd: -1 },
      headers: { "content-type": "application/json" },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: "invalid_body" });
    expect(r.json().error.message).toContain("maxCostUsd must be greater than 0");
  });
});

// A rejected window's pause and LOOP_PAUSE_AT_UTILIZATION's hold are proven in-process
// (packages/core/test/loop-budgets.test.ts), the windows read from the CLIs' lines with the fakes
// (packages/core/test/agents.test.ts); here they are stored, served and kept across a restart.
describe("subscription windows", () => {
  const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

  it("keeps the latest state per agent and window from rate_limit_event lines, across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-limits-"));
    t = await createTestApp({}, { dir });
    const five = inSeconds(3600);
    const seven = inSeconds(86_400);
    const wd = t.workdir(
      scenario({
        claude: [
          claude.ok("one", {
            rateLimits: [
              { status: "allowed", utilization: 0.5, resetsAt: five },
              { status: "allowed", utilization: 0.4, resetsAt: seven, window: "seven_day" },
              { status: "allowed_warning", utilization: 0.82, resetsAt: five },
            ],
          }),
        ],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd });
    expect((await ended(task.id)).status).toBe("done");
    const expected = [
      {
        agent: "claude",
        window: "five_hour",
        status: "allowed_warning",
        utilization: 82,
        resetsAt: new Date(five * 1000).toISOString(),
        overage: { isUsingOverage: false },
      },
      {
        agent: "claude",
        window: "seven_day",
        status: "allowed",
        utilization: 40,
        resetsAt: new Date(seven * 1000).toISOString(),
        overage: { isUsingOverage: false },
      },
    ];
    const limits = (await t.api({ method: "GET", url: "/api/limits" })).json() as LimitsResponse;
    expect(limits).toMatchObject({ windows: expected, pauseAtUtilization: null });
    await t.close();

    t = await createTestApp({ LOOP_PAUSE_AT_UTILIZATION: "95" }, { dir });
    const health = (await t.api({ method: "GET", url: "/api/health" })).json() as HealthResponse;
    expect(health.limits).toMatchObject(expected);
    const again = (await t.api({ method: "GET", url: "/api/limits" })).json() as LimitsResponse;
    expect(again.pauseAtUtilization).toBe(95);
  });

  it("reads codex's windows from its rollout file (codex exec --json prints none)", async () => {
    const codexHome = mkdtempSync(join(tmpdir(), "loop-codex-home-"));
    t = await createTestApp({}, { settings: { env: { CODEX_HOME: codexHome } } });
    const resets = inSeconds(3600);
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("one")],
        codex: [
          codex.review("STATUS: DONE", {
            rateLimits: {
              primary: { used_percent: 85, window_minutes: 300, resets_at: resets },
              secondary: { used_percent: 40, window_minutes: 10_080, resets_at: resets + 86_400 },
            },
          }),
        ],
      }),
    );
    const task = await file({ workingDir: wd });
    expect((await ended(task.id)).status).toBe("done");
    const limits = (await t.api({ method: "GET", url: "/api/limits" })).json() as LimitsResponse;
    expect(limits.windows.map((w) => [w.agent, w.window, w.status, w.utilization, w.resetsAt])).toEqual([
      ["codex", "five_hour", "allowed", 85, new Date(resets * 1000).toISOString()],
      ["codex", "seven_day", "allowed", 40, new Date((resets + 86_400) * 1000).toISOString()],
    ]);
  });
});
