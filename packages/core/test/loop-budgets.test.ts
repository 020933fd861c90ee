import { claudeOnly, emptyClaudeUsage, type Usage } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { budgetArg, type RateLimitInfo } from "../src/agents/index.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { fail, ok } from "./support/memory-agents.ts";

/**
 * Budgets, usage limits, subscription windows and the stalemate through the real Orchestrator with
 * in-memory agents. These ran in apps/server/test (loop, usage-budgets) against the fake CLIs; what
 * the CLIs add (argv, the lines they print) is proven with the fakes in agents.test.ts.
 */
const ISSUES = "STATUS: ISSUES_FOUND\n\n- more";
const cost = (costUsd: number): Usage =>
  claudeOnly({ ...emptyClaudeUsage(), costUsd, inputTokens: 1000 * costUsd * 1000, turns: 1 });
const paid = (text: string, usd: number) => ok("claude", text, { usage: cost(usd) });
const budgets = (h: ReturnType<typeof loopHarness>) =>
  h.agents
    .of()
    .worker.calls.map((c) => (c.maxBudgetUsd === undefined ? undefined : budgetArg(c.maxBudgetUsd)));
const window = (o: Partial<RateLimitInfo>): RateLimitInfo => ({
  status: "allowed",
  resetsAt: null,
  rateLimitType: "five_hour",
  utilization: null,
  overage: null,
  ...o,
});

describe("budgets, in-process", () => {
  it("passes what is left of the budget to each claude run; claude's own budget stop ends needs_attention with the cost", async () => {
    const h = loopHarness({
      scripts: {
        worker: [
          paid("one", 0.02),
          paid("two", 0.02),
          // Iteration 3 costs 0.02 > the 0.01 left: claude stops itself (error_max_budget_usd).
          fail("budget_exceeded", "claude exited with code 1: Reached maximum budget ($0.01)", {
            usage: cost(0.02),
          }),
        ],
        reviewer: [ISSUES],
      },
    });
    const task = await h.submit({ maxIterations: 5, maxCostUsd: 0.05 });
    const end = await h.ended(task.id);
    expect(budgets(h)).toEqual(["0.05", "0.03", "0.01"]);
    expect(end).toMatchObject({
      status: "needs_attention",
      statusReason: "Budget reached: $0.0600 spent of $0.05",
      currentIteration: 3,
    });
    expect(end.usage.claude.costUsd).toBeCloseTo(0.06, 10);
    // The stopped run's usage is kept on its iteration.
    expect(h.repos.iterations.list(task.id)[2]!.usage.claude).toMatchObject({
      costUsd: 0.02,
      inputTokens: 20_000,
    });
  });

  it("starts no iteration once the budget is spent; resume refuses without more and goes on with what is left", async () => {
    const h = loopHarness({
      scripts: { worker: [paid("one", 0.02), paid("two", 0.01)], reviewer: [ISSUES, "STATUS: DONE"] },
    });
    const task = await h.submit({ maxIterations: 5, maxCostUsd: 0.02 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "needs_attention",
      statusReason: "Budget reached: $0.0200 spent of $0.02",
      currentIteration: 1,
    });
    expect(h.repos.iterations.list(task.id)).toHaveLength(1);
    expect(h.agents.of().worker.calls).toHaveLength(1);
    await expect(h.orchestrator.resume(task.id)).rejects.toMatchObject({
      code: "not_resumable",
      message: expect.stringContaining("Budget reached: $0.0200 spent of $0.02"),
    });
    expect((await h.orchestrator.resume(task.id, 0, { maxCostUsd: 0.05 })).maxCostUsd).toBe(0.05);
    const done = await h.ended(task.id);
    expect(done.status).toBe("done");
    expect(budgets(h)).toEqual(["0.02", "0.03"]);
    expect(done.usage.claude.costUsd).toBeCloseTo(0.03, 10);
  });
});

describe("usage limits and subscription windows, in-process", () => {
  it("a usage limit pauses until the announced reset and resumes the same step; the events see the task paused, then running", async () => {
    const h = loopHarness({
      settings: { usageLimitMarginMs: 0 },
      scripts: {
        worker: [
          () =>
            fail("usage_limit", "Claude AI usage limit reached", {
              resetsAt: new Date(Date.now() + 50).toISOString(),
            }),
          "after the reset",
        ],
      },
    });
    const task = await h.submit();
    const seen: string[] = [];
    h.bus.subscribe((e) => {
      if (e.taskId === task.id && (e.type === "task.paused" || e.type === "task.resumed")) {
        seen.push(`${e.type}:${h.repos.tasks.get(task.id)?.status}`);
      }
    });
    expect(await h.ended(task.id)).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });
    expect(seen).toEqual(["task.paused:paused", "task.resumed:running"]);
    expect(h.events(task.id).find((e) => e.type === "task.paused")?.data).toMatchObject({
      agent: "claude",
      reason: expect.stringMatching(/^claude hit its usage limit .*; loop resumes iteration 1 at /),
    });
    expect(h.agents.of().worker.calls).toHaveLength(2);
  });

  it("a rejected window pauses the task until that exact reset, stores the window, then it goes on", async () => {
    const reset = new Date(Date.now() + 60);
    const h = loopHarness({
      settings: { usageLimitMarginMs: 0 },
      scripts: {
        worker: [
          {
            ...fail("usage_limit", "You've hit your 5-hour limit", { resetsAt: reset.toISOString() }),
            rateLimits: [
              window({ status: "rejected", utilization: 100, resetsAt: Math.floor(reset.getTime() / 1000) }),
            ],
          },
          "after the reset",
        ],
      },
    });
    const task = await h.submit();
    expect((await h.ended(task.id)).status).toBe("done");
    const paused = h.events(task.id).filter((e) => e.type === "task.paused");
    expect(paused).toHaveLength(1);
    expect((paused[0]!.data as { resumeAt: string }).resumeAt).toBe(reset.toISOString());
    expect(h.repos.limits.list()).toMatchObject([
      { agent: "claude", window: "five_hour", status: "rejected", utilization: 100 },
    ]);
  });

  it("pauseAtUtilization holds the next iteration while a window is at the threshold, until it resets", async () => {
    // Windows reset on whole seconds: the next one but one, so it is still ahead when iteration 2 would start.
    const reset = Math.floor(Date.now() / 1000) + 2;
    const h = loopHarness({
      settings: { pauseAtUtilization: 90 },
      scripts: {
        worker: [
          {
            ...ok("claude", "one"),
            rateLimits: [window({ status: "allowed_warning", utilization: 92, resetsAt: reset })],
          },
          "two",
        ],
        reviewer: [ISSUES, "STATUS: DONE"],
      },
    });
    const task = await h.submit({ maxIterations: 3 });
    await expect
      .poll(() => h.repos.tasks.get(task.id)?.status, { timeout: 5000, interval: 5 })
      .toBe("paused");
    const resumeAt = new Date(reset * 1000).toISOString();
    expect(h.events(task.id).find((e) => e.type === "task.paused")?.data).toMatchObject({
      agent: "claude",
      resumeAt,
      reason: `Iteration 2 waits: Claude 5-hour window at 92 % (LOOP_PAUSE_AT_UTILIZATION=90); waiting for its reset at ${resumeAt}`,
    });
    // Held before iteration 2 started.
    expect(h.repos.iterations.list(task.id)).toHaveLength(1);
    expect((await h.ended(task.id)).status).toBe("done");
    const iterations = h.repos.iterations.list(task.id);
    expect(iterations).toHaveLength(2);
    expect(Date.parse(iterations[1]!.startedAt)).toBeGreaterThanOrEqual(reset * 1000);
  });
});

describe("no progress, in-process", () => {
  it("the same finding in three reviews in a row ends needs_attention, naming the finding (default stallIterations)", async () => {
    const h = loopHarness({ scripts: { reviewer: ["STATUS: ISSUES_FOUND\n- the same thing"] } });
    const task = await h.submit({ maxIterations: 10 });
    const end = await h.ended(task.id);
    expect(end.status).toBe("needs_attention");
    expect(end.statusReason).toMatch(
      /^No progress: Codex reported the same finding in 3 reviews in a row \(iterations 1–3\).*F1: "the same thing"$/,
    );
    expect(end.currentIteration).toBe(3);
  });
});
