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
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
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
const claudeArgv = (events: LoopEvent[]) =>
  of(events, "agent.started")
    .filter((e) => e.data.agent === "claude")
    .map((e) => e.data.argv);
const budgetArg = (argv: string[]) =>
  argv.includes("--max-budget-usd") ? argv[argv.indexOf("--max-budget-usd") + 1] : undefined;

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

describe("budgets", () => {
  it("passes the rest of the budget as --max-budget-usd; claude's budget stop ends needs_attention with the cost", async () => {
    t = await createTestApp();
    const step = (text: string) => claude.ok(text, { cost: 0.02 });
    const wd = t.workdir(
      scenario({
        claude: [step("one"), step("two"), step("three")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 5, maxCostUsd: 0.05 });
    expect(task.maxCostUsd).toBe(0.05);
    const end = await ended(task.id);
    const argv = claudeArgv(t.events(task.id));
    // Iteration 2's value is the budget minus iteration 1's cost; iteration 3's what is left then.
    expect(argv.map(budgetArg)).toEqual(["0.05", "0.03", "0.01"]);
    // Iteration 3's run would cost 0.02 > 0.01: claude stops itself (error_max_budget_usd).
    expect(end.status).toBe("needs_attention");
    expect(end.statusReason).toBe("Budget reached: $0.0600 spent of $0.05");
    expect(end.usage.claude.costUsd).toBeCloseTo(0.06, 10);
    const { iterations } = await detail(task.id);
    expect(iterations[2]!.usage.claude).toMatchObject({
      costUsd: 0.02,
      inputTokens: 20_000,
      outputTokens: 500,
    });
    const finished = of(t.events(task.id), "agent.finished").filter((e) => e.data.agent === "claude");
    expect(finished.at(-1)!.data).toMatchObject({ ok: false, errorKind: "budget_exceeded" });
  });

  it("starts no iteration once the budget is spent (between iterations), and resume may raise it", async () => {
    t = await createTestApp({ LOOP_MAX_COST_USD: "0.02" });
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("one", { cost: 0.02 }), claude.ok("two", { cost: 0.01 })],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more"), codex.review("STATUS: DONE")],
      }),
    );
    // No maxCostUsd in the body: the server's default LOOP_MAX_COST_USD applies.
    const task = await file({ workingDir: wd, maxIterations: 5 });
    expect(task.maxCostUsd).toBe(0.02);
    const end = await ended(task.id);
    expect(end.status).toBe("needs_attention");
    expect(end.statusReason).toBe("Budget reached: $0.0200 spent of $0.02");
    expect(end.usage.claude.costUsd).toBe(0.02);
    expect((await detail(task.id)).iterations).toHaveLength(1);
    expect(claudeArgv(t.events(task.id))).toHaveLength(1);

    // Resuming without more budget is refused; with more, it goes on with what is left.
    const refused = await resume(task.id, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: "not_resumable" });
    expect(refused.json().error.message).toContain("Budget reached: $0.0200 spent of $0.02");
    expect((await resume(task.id, { maxCostUsd: 0.05 })).json().task.maxCostUsd).toBe(0.05);
    expect((await ended(task.id)).status).toBe("done");
    expect(claudeArgv(t.events(task.id)).map(budgetArg)).toEqual(["0.02", "0.03"]);
    expect((await detail(task.id)).task.usage.claude.costUsd).toBeCloseTo(0.03, 10);
  });

  it("a Codex token budget stops before the next iteration, with the tokens recorded", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({ claude: [claude.ok("one")], codex: [codex.review("STATUS: ISSUES_FOUND\n- more")] }),
    );
    const task = await file({ workingDir: wd, maxIterations: 5, maxCodexTokens: 100 });
    const end = await ended(task.id);
    const used = end.usage.codex.inputTokens + end.usage.codex.outputTokens;
    expect(used).toBeGreaterThan(100);
    expect(end.status).toBe("needs_attention");
    expect(end.statusReason).toBe(`Codex token budget reached: ${used} tokens used of 100`);
    expect((await detail(task.id)).iterations).toHaveLength(1);
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

  it("a rejected window pauses the task until that exact reset, then it goes on", async () => {
    t = await createTestApp({}, { settings: { usageLimitMarginMs: 0 } });
    const reset = inSeconds(2);
    const wd = t.workdir(
      scenario({
        claude: [{ kind: "usage_limit", resetsAt: reset }, claude.ok("after the reset")],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd });
    expect((await ended(task.id)).status).toBe("done");
    const paused = of(t.events(task.id), "task.paused");
    expect(paused).toHaveLength(1);
    expect(paused[0]!.data.resumeAt).toBe(new Date(reset * 1000).toISOString());
    const stored = t.repos.limits.list();
    expect(stored).toMatchObject([
      { agent: "claude", window: "five_hour", status: "rejected", utilization: 100 },
    ]);
  });

  it("LOOP_PAUSE_AT_UTILIZATION holds the next iteration while a window is at the threshold, until it resets", async () => {
    t = await createTestApp({ LOOP_PAUSE_AT_UTILIZATION: "90" });
    const wd = t.workdir(
      scenario({
        claude: [
          // The reset is 4 s after claude's run (a busy machine must not let it pass before iteration 2).
          claude.ok("one", { rateLimits: [{ status: "allowed_warning", utilization: 0.92, resetsIn: 4 }] }),
          claude.ok("two"),
        ],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await file({ workingDir: wd, maxIterations: 3 });
    const held = await waitFor(() => {
      const p = of(t.events(task.id), "task.paused")[0];
      return p && t.repos.tasks.get(task.id)?.status === "paused" ? p : undefined;
    });
    const resumeAt = t.repos.limits.list()[0]!.resetsAt!;
    const reset = Date.parse(resumeAt) / 1000;
    expect(held.data).toMatchObject({ agent: "claude", resumeAt });
    expect(held.data.reason).toBe(
      `Iteration 2 waits: Claude 5-hour window at 92 % (LOOP_PAUSE_AT_UTILIZATION=90); waiting for its reset at ${resumeAt}`,
    );
    // Held before iteration 2 started: only iteration 1 exists meanwhile.
    expect(t.repos.iterations.list(task.id)).toHaveLength(1);
    expect((await ended(task.id)).status).toBe("done");
    const { iterations } = await detail(task.id);
    expect(iterations).toHaveLength(2);
    expect(Date.parse(iterations[1]!.startedAt)).toBeGreaterThanOrEqual(reset * 1000);
  });
});
