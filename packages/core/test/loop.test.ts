import { describe, expect, it } from "vitest";
import { loopHarness } from "./support/loop-harness.ts";
import { fail, hang } from "./support/memory-agents.ts";

/** The run loop in-process: Orchestrator and TaskRun with scripted agents, no child process. */
describe("the run loop with in-memory agents", () => {
  it("runs a task to done: events in order, artifacts named by agent, the review's verdict as reason", async () => {
    const h = loopHarness();
    const task = await h.submit();
    const ended = await h.ended(task.id);
    expect(ended).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
      currentIteration: 1,
      worker: "claude",
      reviewer: "codex",
    });
    const types = h.types(task.id).filter((t) => t !== "task.updated" && t !== "iteration.updated");
    expect(types).toEqual([
      "task.created",
      "task.started",
      "iteration.started",
      "agent.started",
      "agent.finished",
      "task.usage",
      "changes.recorded",
      "changes.recorded",
      "agent.started",
      "agent.finished",
      "task.usage",
      "review.verdict",
      "iteration.finished",
      "task.finished",
    ]);
    const started = h.events(task.id).filter((e) => e.type === "agent.started");
    expect(started.map((e) => (e.data as { agent: string }).agent)).toEqual(["claude", "codex"]);
    expect(h.artifacts(task.id)).toEqual([
      "001-changes.md",
      "001-claude-output.md",
      "001-claude-prompt.md",
      "001-codex-output.md",
      "001-codex-prompt.md",
      "changes.md",
      "result.md",
      "task.md",
    ]);
    const { worker, reviewer } = h.agents.of();
    expect(worker.prompts[0]).toContain("A reviewer (Codex) will inspect the working directory");
    expect(reviewer.prompts[0]).toContain(
      "## What Claude reported in iteration 1\n\n```text\nDid the work.\n```",
    );
  });

  it("row events carry what changed: the prompt only in the new task's row", async () => {
    const h = loopHarness({ scripts: { reviewer: ["STATUS: ISSUES_FOUND\n\n- Not yet.", "STATUS: DONE"] } });
    const task = await h.submit({ prompt: "x".repeat(50_000) });
    await h.ended(task.id);
    const rows = h.events(task.id).filter((e) => e.type === "task.updated");
    const withPrompt = rows.filter((e) => "prompt" in (e.data as { task: object }).task);
    expect(withPrompt).toHaveLength(1);
    expect(rows[0]).toBe(withPrompt[0]);
    for (const e of rows.slice(1)) expect(JSON.stringify(e.data).length).toBeLessThan(2000);
    expect(rows.at(-1)?.data).toEqual({
      task: {
        id: task.id,
        status: "done",
        statusReason: "Codex reported STATUS: DONE in iteration 2",
        finishedAt: expect.any(String),
      },
    });
    // Merged in order, the changes give the row as stored.
    const merged = Object.assign({}, ...rows.map((e) => (e.data as { task: object }).task));
    expect(merged).toEqual(h.repos.tasks.get(task.id));
    const its = h.events(task.id).filter((e) => e.type === "iteration.updated");
    const it2 = Object.assign(
      {},
      ...its.filter((e) => e.iteration === 2).map((e) => (e.data as { iteration: object }).iteration),
    );
    expect(it2).toEqual(h.repos.iterations.get(task.id, 2));
  });

  it("ends needs_attention at the iteration cap, the findings carried into the next prompt", async () => {
    const h = loopHarness({ scripts: { reviewer: ["STATUS: ISSUES_FOUND\n\n- The greeting is missing."] } });
    const task = await h.submit({ maxIterations: 2 });
    const ended = await h.ended(task.id);
    expect(ended.status).toBe("needs_attention");
    expect(ended.statusReason).toBe("Reached the iteration cap (2) with issues remaining");
    expect(h.repos.iterations.list(task.id).map((i) => [i.n, i.status, i.verdict])).toEqual([
      [1, "done", "ISSUES_FOUND"],
      [2, "done", "ISSUES_FOUND"],
    ]);
    const { worker } = h.agents.of();
    expect(worker.prompts).toHaveLength(2);
    expect(worker.prompts[1]).toContain("The greeting is missing.");
  });

  it("swapped roles: codex works, claude reviews; events, artifacts and the reason name them", async () => {
    const h = loopHarness();
    const task = await h.submit({ worker: "codex", reviewer: "claude" });
    const ended = await h.ended(task.id);
    expect(ended).toMatchObject({
      status: "done",
      statusReason: "Claude reported STATUS: DONE in iteration 1",
      worker: "codex",
      reviewer: "claude",
    });
    const started = h.events(task.id).filter((e) => e.type === "agent.started");
    expect(started.map((e) => (e.data as { agent: string }).agent)).toEqual(["codex", "claude"]);
    expect(h.artifacts(task.id)).toEqual(
      expect.arrayContaining([
        "001-codex-prompt.md",
        "001-codex-output.md",
        "001-claude-prompt.md",
        "001-claude-output.md",
      ]),
    );
    const { worker, reviewer } = h.agents.of({ worker: "codex", reviewer: "claude" });
    expect(worker.prompts[0]).toContain("A reviewer (Claude) will inspect the working directory");
    expect(reviewer.prompts[0]).toContain("## What Codex reported in iteration 1");
    // Usage follows the agent: codex's tokens came from the worker, claude's dollars from the reviewer.
    expect(ended.usage.codex.inputTokens).toBe(100);
    expect(ended.usage.claude.costUsd).toBeCloseTo(0.01);
  });

  it("one agent in both roles is never cast: naming one role gives the other to the other agent", async () => {
    const h = loopHarness();
    expect(await h.submit({ worker: "codex" })).toMatchObject({ worker: "codex", reviewer: "claude" });
    expect(await h.submit({ reviewer: "claude" })).toMatchObject({ worker: "codex", reviewer: "claude" });
    const h2 = loopHarness({ settings: { worker: "codex", reviewer: "claude" }, start: false });
    expect(await h2.submit()).toMatchObject({ worker: "codex", reviewer: "claude" });
  });

  it("a worker failure ends the task failed with the agent's error as reason", async () => {
    const h = loopHarness({
      scripts: { worker: [fail("exit_nonzero", "claude exited with code 1: Not logged in")] },
    });
    const task = await h.submit();
    const ended = await h.ended(task.id);
    expect(ended).toMatchObject({
      status: "failed",
      statusReason: "claude exited with code 1: Not logged in",
    });
    expect(await h.artifact(task.id, "001-claude-output.md")).toMatch(/^# claude did not finish/);
  });

  it("a cancel while the worker runs stops it; the task ends cancelled", async () => {
    const h = loopHarness({ scripts: { worker: [hang("claude")] } });
    const task = await h.submit();
    await expect.poll(() => h.agents.of().worker.calls.length).toBe(1);
    const cancelled = await h.orchestrator.cancel(task.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.statusReason).toMatch(
      /^Cancelled by the user during iteration 1 \(claude was stopped\)/,
    );
  });

  it("a TaskRun on its own runs a stored task to done and resumes after a stored worker answer", async () => {
    const h = loopHarness({ start: false });
    const task = h.repos.tasks.create({ title: "t", prompt: "p", workingDir: h.workDir, maxIterations: 3 });
    // Iteration 1's worker already answered (a crash came before the review): only the review runs.
    h.repos.iterations.start(task.id, 1);
    h.repos.iterations.update(task.id, 1, { claudeOutput: "Stored answer." });
    const ended = await h.runOnce(task);
    expect(ended.status).toBe("done");
    const { worker, reviewer } = h.agents.of();
    expect(worker.calls).toHaveLength(0);
    expect(reviewer.prompts[0]).toContain("Stored answer.");
    const resumed = h.events(task.id).find((e) => e.type === "task.resumed");
    expect(resumed?.data).toEqual({
      agent: "codex",
      fromIteration: 1,
      from: "iteration 1 (codex; claude's answer is kept)",
    });
  });

  it("session mode: the worker continues its own session with only what is new", async () => {
    const h = loopHarness({
      scripts: { reviewer: ["STATUS: ISSUES_FOUND\n\n- Add a test.", "STATUS: DONE"] },
    });
    const task = await h.submit({ continueSession: true, worker: "codex", reviewer: "claude" });
    expect((await h.ended(task.id)).status).toBe("done");
    const { worker } = h.agents.of({ worker: "codex", reviewer: "claude" });
    expect(worker.calls.map((c) => c.resumeSessionId)).toEqual([undefined, "codex-session"]);
    expect(worker.prompts[1]).toContain("## What Claude found in iteration 1");
    expect(worker.prompts[1]).not.toContain("## The request");
  });

  it("a review without a STATUS line is asked again in the reviewer's own session (claude reviewing)", async () => {
    const h = loopHarness({ scripts: { reviewer: ["Looks fine to me.", "STATUS: DONE"] } });
    const task = await h.submit({ worker: "codex", reviewer: "claude" });
    expect(await h.ended(task.id)).toMatchObject({
      status: "done",
      statusReason: "Claude reported STATUS: DONE in iteration 1",
    });
    const { reviewer } = h.agents.of({ worker: "codex", reviewer: "claude" });
    expect(reviewer.calls.map((c) => c.resumeSessionId)).toEqual([undefined, "claude-session"]);
    expect(reviewer.prompts[1]).toMatch(/^Your review above does not start with a STATUS line/);
    expect(h.artifacts(task.id)).toEqual(
      expect.arrayContaining(["001-claude-verdict-prompt.md", "001-claude-verdict-output.md"]),
    );
    expect(h.repos.iterations.texts(task.id)[0]?.review).toBe("STATUS: DONE\n\nLooks fine to me.");
  });

  it("a usage limit pauses the task until its reset, then repeats the step that hit it", async () => {
    const resetsAt = () => new Date(Date.now() + 30).toISOString();
    const h = loopHarness({
      settings: { usageLimitMarginMs: 0 },
      scripts: {
        worker: [
          () =>
            fail("usage_limit", "claude exited with code 1: usage limit reached", { resetsAt: resetsAt() }),
          "Did it after the wait.",
        ],
      },
    });
    const task = await h.submit();
    expect((await h.ended(task.id)).status).toBe("done");
    expect(h.types(task.id)).toEqual(expect.arrayContaining(["task.paused", "task.resumed"]));
    expect(h.agents.of().worker.calls).toHaveLength(2);
    expect(h.repos.iterations.list(task.id)).toHaveLength(1);
  });
});
