import { describe, expect, it } from "vitest";
import { loopHarness } from "./support/loop-harness.ts";
import { fail, hang } from "./support/memory-agents.ts";

/**
 * Every row of the transition table (src/loop/transitions.ts) driven through the real Orchestrator
 * and TaskRun with in-memory agents. ROWS names the rows; each test below covers one or more and
 * says so through `row(...)`, and the last test fails when a row has no test.
 */
const ROWS = [
  "afterReview: DONE -> done",
  "afterReview: stalemate -> needs_attention",
  "afterReview: cap -> needs_attention",
  "afterReview: ISSUES_FOUND -> next iteration",
  "afterFailure: stop user -> cancelled",
  "afterFailure: stop shutdown -> interrupted",
  "afterFailure: usage_limit -> paused, then the step again",
  "afterFailure: usage_limit past maxPauses -> failed",
  "afterFailure: budget_exceeded -> needs_attention",
  "afterFailure: cancelled (agent stopped) -> cancelled",
  "afterFailure: timeout -> failed",
  "afterFailure: idle_timeout -> failed",
  "afterFailure: spawn_failed -> failed",
  "afterFailure: exit_nonzero -> failed",
  "afterFailure: agent_error -> failed",
  "afterFailure: no_result -> failed",
  "afterFailure: empty_output -> failed",
  "afterStepError: storage fault -> interrupted",
  "afterStepError: other error -> failed",
  "afterWaitCut: user -> cancelled",
  "afterWaitCut: shutdown -> interrupted",
  "iterationGate: claude budget spent -> needs_attention",
  "iterationGate: codex token budget spent -> needs_attention",
] as const;
type Row = (typeof ROWS)[number];
const covered = new Set<Row>();
const row = (...rows: Row[]) => {
  for (const r of rows) covered.add(r);
};

const ISSUES = "STATUS: ISSUES_FOUND\n\n- The greeting is missing.";

describe("transition table, in-process", () => {
  it("DONE ends the task done; iterations, verdict and result.md stored", async () => {
    row("afterReview: DONE -> done");
    const h = loopHarness();
    const task = await h.submit();
    expect(await h.ended(task.id)).toMatchObject({ status: "done", currentIteration: 1 });
    expect(h.repos.iterations.list(task.id).map((i) => [i.n, i.status, i.verdict])).toEqual([
      [1, "done", "DONE"],
    ]);
    expect(h.artifacts(task.id)).toContain("result.md");
  });

  it("ISSUES_FOUND starts the next iteration, then DONE ends it", async () => {
    row("afterReview: ISSUES_FOUND -> next iteration");
    const h = loopHarness({ scripts: { reviewer: [ISSUES, "STATUS: DONE"] } });
    const task = await h.submit({ maxIterations: 5 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 2",
      currentIteration: 2,
    });
    expect(h.types(task.id).filter((t) => t === "iteration.started")).toHaveLength(2);
    expect(h.artifacts(task.id)).toEqual(
      expect.arrayContaining(["002-claude-prompt.md", "002-codex-output.md"]),
    );
  });

  it("the iteration cap ends needs_attention", async () => {
    row("afterReview: cap -> needs_attention");
    const h = loopHarness({ scripts: { reviewer: [ISSUES] } });
    const task = await h.submit({ maxIterations: 1 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "needs_attention",
      statusReason: "Reached the iteration cap (1) with issues remaining",
    });
  });

  it("the same finding in stallIterations reviews ends needs_attention before the cap", async () => {
    row("afterReview: stalemate -> needs_attention");
    const h = loopHarness({ settings: { stallIterations: 2 }, scripts: { reviewer: [ISSUES] } });
    const task = await h.submit({ maxIterations: 10 });
    const ended = await h.ended(task.id);
    expect(ended.status).toBe("needs_attention");
    expect(ended.statusReason).not.toMatch(/iteration cap/);
    expect(ended.currentIteration).toBeLessThan(10);
    expect(h.repos.iterations.list(task.id).length).toBe(ended.currentIteration);
  });

  const failures = [
    ["timeout", "claude timed out after 60s"],
    ["idle_timeout", "claude printed nothing for 30s"],
    ["spawn_failed", "could not start claude: ENOENT"],
    ["exit_nonzero", "claude exited with code 2: boom"],
    ["agent_error", "claude reported an error: overloaded"],
    ["no_result", "claude ended without a result"],
    ["empty_output", "claude answered nothing"],
  ] as const;
  for (const [kind, error] of failures) {
    it(`a worker ${kind} ends the task failed with the agent's error`, async () => {
      row(`afterFailure: ${kind} -> failed`);
      const h = loopHarness({ scripts: { worker: [fail(kind, error)] } });
      const task = await h.submit();
      expect(await h.ended(task.id)).toMatchObject({ status: "failed", statusReason: error });
      expect(h.repos.iterations.list(task.id).map((i) => i.status)).toEqual(["failed"]);
      expect(await h.artifact(task.id, "001-claude-output.md")).toMatch(/^# claude did not finish/);
      expect(h.types(task.id).at(-1)).toBe("task.finished");
    });
  }

  it("a reviewer failure fails too, naming the reviewer's error", async () => {
    const h = loopHarness({
      scripts: { reviewer: [fail("exit_nonzero", "codex exited with code 1: nope")] },
    });
    const task = await h.submit();
    expect(await h.ended(task.id)).toMatchObject({
      status: "failed",
      statusReason: "codex exited with code 1: nope",
    });
    expect(await h.artifact(task.id, "001-codex-output.md")).toMatch(/^# codex did not finish/);
  });

  it("an agent that says it was stopped (no stop asked) ends cancelled", async () => {
    row("afterFailure: cancelled (agent stopped) -> cancelled");
    const h = loopHarness({ scripts: { worker: [fail("cancelled", "claude was killed")] } });
    const task = await h.submit();
    expect(await h.ended(task.id)).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled during iteration 1 (claude) (claude was stopped)",
    });
  });

  it("budget_exceeded from claude's --max-budget-usd ends needs_attention with the budget reason", async () => {
    row("afterFailure: budget_exceeded -> needs_attention");
    const h = loopHarness({ scripts: { worker: [fail("budget_exceeded", "error_max_budget_usd")] } });
    const task = await h.submit({ maxCostUsd: 0.5 });
    const ended = await h.ended(task.id);
    expect(ended.status).toBe("needs_attention");
    expect(ended.statusReason).toMatch(/^Budget reached: \$0\.\d{4} spent of \$0\.5$/);
    expect(h.agents.of().worker.calls[0]?.maxBudgetUsd).toBeCloseTo(0.5);
  });

  it("a spent claude budget stops before the next iteration (needs_attention)", async () => {
    row("iterationGate: claude budget spent -> needs_attention");
    const h = loopHarness({ scripts: { reviewer: [ISSUES] } });
    // Each agent run costs claude $0.01 (memory-agents): after iteration 1 the $0.01 is spent.
    const task = await h.submit({ maxCostUsd: 0.01, maxIterations: 5 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "needs_attention",
      statusReason: "Budget reached: $0.0100 spent of $0.01",
      currentIteration: 1,
    });
  });

  it("a spent codex token budget stops before the next iteration (needs_attention)", async () => {
    row("iterationGate: codex token budget spent -> needs_attention");
    const h = loopHarness({ scripts: { reviewer: [ISSUES] } });
    const task = await h.submit({ maxCodexTokens: 100, maxIterations: 5 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "needs_attention",
      statusReason: "Codex token budget reached: 110 tokens used of 100",
      currentIteration: 1,
    });
  });

  it("a usage limit pauses (task.paused with resumeAt), then repeats the review that hit it", async () => {
    row("afterFailure: usage_limit -> paused, then the step again");
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 20 },
      scripts: { reviewer: [fail("usage_limit", "codex: usage limit reached"), "STATUS: DONE"] },
    });
    const task = await h.submit();
    expect((await h.ended(task.id)).status).toBe("done");
    const types = h.types(task.id).filter((t) => t !== "task.updated" && t !== "iteration.updated");
    const p = types.indexOf("task.paused");
    expect(types.slice(p, p + 2)).toEqual(["task.paused", "task.resumed"]);
    const paused = h.events(task.id).find((e) => e.type === "task.paused")!;
    expect(paused.data).toMatchObject({ agent: "codex", attempt: 1, resumeAt: expect.any(String) });
    const { worker, reviewer } = h.agents.of();
    expect([worker.calls.length, reviewer.calls.length]).toEqual([1, 2]);
  });

  it("usage limits past maxUsageLimitPauses end failed", async () => {
    row("afterFailure: usage_limit past maxPauses -> failed");
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 1, maxUsageLimitPauses: 2 },
      scripts: { worker: [fail("usage_limit", "claude: usage limit reached")] },
    });
    const task = await h.submit();
    expect(await h.ended(task.id)).toMatchObject({
      status: "failed",
      statusReason: "claude: usage limit reached (gave up after 2 usage-limit pauses)",
    });
    expect(h.agents.of().worker.calls).toHaveLength(3);
    expect(h.types(task.id).filter((t) => t === "task.paused")).toHaveLength(2);
  });

  it("a cancel during the review ends cancelled, the iteration closed", async () => {
    row("afterFailure: stop user -> cancelled");
    const h = loopHarness({ scripts: { reviewer: [hang("codex")] } });
    const task = await h.submit();
    await expect.poll(() => h.agents.of().reviewer.calls.length).toBe(1);
    const cancelled = await h.orchestrator.cancel(task.id);
    expect(cancelled).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled by the user during iteration 1 (codex was stopped)",
    });
    expect(h.repos.iterations.list(task.id).map((i) => i.status)).not.toContain("running");
    expect(h.types(task.id)).toEqual(expect.arrayContaining(["task.cancel_requested", "task.finished"]));
  });

  it("a server stop while an agent runs leaves the task paused with the server-stop reason", async () => {
    row("afterFailure: stop shutdown -> interrupted");
    const h = loopHarness({ scripts: { worker: [hang("claude")] } });
    const task = await h.submit();
    await expect.poll(() => h.agents.of().worker.calls.length).toBe(1);
    await h.orchestrator.shutdown();
    expect(h.repos.tasks.get(task.id)).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a server stop during iteration 1 (claude); resume it to continue from there",
    });
    expect(h.types(task.id)).toContain("task.interrupted");
  });

  it("a storage fault in a step interrupts the run: paused, resumable", async () => {
    row("afterStepError: storage fault -> interrupted");
    const full = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    const h = loopHarness({
      scripts: {
        worker: [
          () => {
            throw full;
          },
          "Did it.",
        ],
      },
    });
    const task = await h.submit();
    const paused = await h.ended(task.id, (s) => s === "paused");
    expect(paused.statusReason).toMatch(
      /full \(ENOSPC\).*: interrupted during iteration 1 \(claude\); resume it once that is fixed$/,
    );
    await h.orchestrator.resume(task.id);
    expect((await h.ended(task.id)).status).toBe("done");
  });

  it("any other error thrown in a step fails the task as an internal error", async () => {
    row("afterStepError: other error -> failed");
    const h = loopHarness({
      scripts: {
        worker: [
          () => {
            throw new Error("boom");
          },
        ],
      },
    });
    const task = await h.submit();
    expect(await h.ended(task.id)).toMatchObject({
      status: "failed",
      statusReason: "Internal error during iteration 1 (claude): boom",
    });
  });

  it("a cancel while waiting out a usage limit ends cancelled", async () => {
    row("afterWaitCut: user -> cancelled");
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 60_000 },
      scripts: { worker: [fail("usage_limit", "claude: usage limit reached")] },
    });
    const task = await h.submit();
    // Still running its wait: poll the row, not h.ended (which waits for the queue to go idle).
    await expect.poll(() => h.types(task.id)).toContain("task.paused");
    expect(await h.orchestrator.cancel(task.id)).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled by the user while paused for a usage limit",
    });
  });

  it("a server stop while waiting out a usage limit leaves it paused (interrupted), with the wait's reason", async () => {
    row("afterWaitCut: shutdown -> interrupted");
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 60_000 },
      scripts: { worker: [fail("usage_limit", "claude: usage limit reached"), "Did it."] },
    });
    const task = await h.submit();
    // Still running its wait: poll the row, not h.ended (which waits for the queue to go idle).
    await expect.poll(() => h.types(task.id)).toContain("task.paused");
    await h.orchestrator.shutdown();
    const t = h.repos.tasks.get(task.id)!;
    expect(t.status).toBe("paused");
    expect(t.statusReason).toMatch(
      /^interrupted by a server stop while iteration 1 \(claude\) waited for a usage limit; resume it to continue from there \(claude hit its usage limit/,
    );
    expect(h.types(task.id)).toContain("task.interrupted");
  });

  it("every row of the transition table has a test", () => {
    expect(ROWS.filter((r) => !covered.has(r))).toEqual([]);
  });
});
