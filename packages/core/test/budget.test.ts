import { emptyUsage, type SubscriptionWindow, type Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { budgetArg } from "../src/agents/index.ts";
import { budgetStop, claudeRemaining, rebudget } from "../src/loop/budget.ts";
import { iterationGate, utilizationHold } from "../src/loop/limits.ts";

const spent = (costUsd: number, codexTokens = 0) => ({
  claude: { ...emptyUsage().claude, costUsd },
  codex: { ...emptyUsage().codex, inputTokens: codexTokens },
});
const task = (o: Partial<Pick<Task, "usage" | "maxCostUsd" | "maxCodexTokens">> = {}) => ({
  usage: emptyUsage(),
  maxCostUsd: null,
  maxCodexTokens: null,
  ...o,
});
const now = new Date("2026-12-01T12:00:00Z");
const win = (o: Partial<SubscriptionWindow> = {}): SubscriptionWindow => ({
  agent: "claude",
  window: "five_hour",
  status: "allowed_warning",
  utilization: 92,
  resetsAt: "2026-12-01T14:05:00.000Z",
  overage: null,
  updatedAt: now.toISOString(),
  ...o,
});

describe("budgets as pure functions", () => {
  it("passes claude what is left, in a form --max-budget-usd takes", () => {
    expect(claudeRemaining(task())).toBeUndefined();
    expect(budgetArg(claudeRemaining(task({ usage: spent(0.0213), maxCostUsd: 0.05 }))!)).toBe("0.0287");
    expect(budgetArg(0.05 - 0.04)).toBe("0.01");
  });
  it.each([
    [task({ usage: spent(0.0299), maxCostUsd: 0.03 }), null],
    [task({ usage: spent(0.0787), maxCostUsd: 0.03 }), "Budget reached: $0.0787 spent of $0.03"],
    [task({ usage: spent(0.03), maxCostUsd: 0.03 }), "Budget reached: $0.0300 spent of $0.03"],
    [task({ usage: spent(0, 999), maxCodexTokens: 1000 }), null],
    [
      task({ usage: spent(0, 1000), maxCodexTokens: 1000 }),
      "Codex token budget reached: 1000 tokens used of 1000",
    ],
    // Claude's dollars never count against Codex's tokens, nor the other way round.
    [task({ usage: spent(5, 0), maxCodexTokens: 1 }), null],
    [task({ usage: spent(0, 1_000_000), maxCostUsd: 0.01 }), null],
  ])("budgetStop %#", (t, reason) => {
    expect(budgetStop(t)).toBe(reason);
  });
  it("resume refuses a spent budget unless it is raised", () => {
    const t = { ...(task({ usage: spent(0.02), maxCostUsd: 0.02 }) as Task), id: "T1" };
    expect(() => rebudget(t, {})).toThrow("Budget reached: $0.0200 spent of $0.02");
    expect(rebudget(t, { maxCostUsd: 0.05 }).maxCostUsd).toBe(0.05);
  });
});

describe("the gate before an iteration", () => {
  it("holds while a window is at or above the threshold, until the latest such reset", () => {
    expect(utilizationHold([win()], null, now)).toBeNull();
    expect(utilizationHold([win({ utilization: 89.9 })], 90, now)).toBeNull();
    expect(utilizationHold([win({ resetsAt: "2026-12-01T11:00:00Z" })], 90, now)).toBeNull();
    const seven = win({ window: "seven_day", utilization: 95, resetsAt: "2026-12-03T00:00:00.000Z" });
    const hold = utilizationHold([win({ utilization: 90 }), seven], 90, now);
    expect(hold?.until.toISOString()).toBe("2026-12-03T00:00:00.000Z");
    expect(hold?.reason).toContain("Claude 5-hour window at 90 %, Claude 7-day window at 95 %");
  });
  it("a spent budget ends the task before a hold is considered", () => {
    const settings = { pauseAtUtilization: 90 };
    const spentTask = task({ usage: spent(1), maxCostUsd: 1 });
    expect(iterationGate({ task: spentTask, n: 2, windows: [win()], settings, now })).toEqual({
      kind: "finished",
      status: "needs_attention",
      reason: "Budget reached: $1.0000 spent of $1",
    });
    expect(iterationGate({ task: task(), n: 2, windows: [win()], settings, now })).toMatchObject({
      kind: "paused",
      until: new Date("2026-12-01T14:05:00.000Z"),
      resume: { kind: "work", n: 2 },
    });
    expect(
      iterationGate({ task: task(), n: 2, windows: [win({ utilization: 10 })], settings, now }),
    ).toBeNull();
  });
});
