import { describe, expect, it, onTestFinished } from "vitest";
import { ArtifactStore } from "../src/artifacts.ts";
import { Orchestrator } from "../src/orchestrator.ts";
import { recover } from "../src/recovery.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { fail, hang } from "./support/memory-agents.ts";

/**
 * Resume from each interruption point, and queue control, through the real Orchestrator with
 * in-memory agents (see loop-transitions.test.ts for the table itself).
 */
const ISSUES = "STATUS: ISSUES_FOUND\n\n- The greeting is missing.";

const resumedFrom = (h: ReturnType<typeof loopHarness>, id: string) =>
  h
    .events(id)
    .filter((e) => e.type === "task.resumed" && "from" in (e.data as object))
    .map((e) => (e.data as { from: string }).from);

describe("resume from each interruption point, in-process", () => {
  it("after the worker's answer is stored (the review failed): only the review runs again", async () => {
    const h = loopHarness({
      scripts: { reviewer: [fail("exit_nonzero", "codex exited with code 1: nope"), "STATUS: DONE"] },
    });
    const task = await h.submit();
    expect((await h.ended(task.id)).status).toBe("failed");
    const queued = await h.orchestrator.resume(task.id);
    expect(queued.status).toBe("queued");
    expect(await h.ended(task.id)).toMatchObject({ status: "done", currentIteration: 1 });
    const { worker, reviewer } = h.agents.of();
    expect([worker.calls.length, reviewer.calls.length]).toEqual([1, 2]);
    expect(resumedFrom(h, task.id)).toEqual(["iteration 1 (codex; claude's answer is kept)"]);
    expect(h.types(task.id)).toContain("task.requeued");
  });

  it("after a review is stored (budget spent): resumed with a raised budget, the next iteration carries the history", async () => {
    const h = loopHarness({ scripts: { reviewer: [ISSUES, "STATUS: DONE"] } });
    const task = await h.submit({ maxCodexTokens: 100, maxIterations: 5 });
    expect((await h.ended(task.id)).status).toBe("needs_attention");
    await expect(h.orchestrator.resume(task.id)).rejects.toMatchObject({ code: "not_resumable" });
    await h.orchestrator.resume(task.id, 0, { maxCodexTokens: 10_000 });
    expect(await h.ended(task.id)).toMatchObject({
      status: "done",
      currentIteration: 2,
      maxCodexTokens: 10_000,
    });
    expect(resumedFrom(h, task.id)).toEqual(["iteration 2 (claude)"]);
    expect(h.agents.of().worker.prompts[1]).toContain("The greeting is missing.");
  });

  it("after a failed worker run: the worker runs that iteration again", async () => {
    const h = loopHarness({
      scripts: {
        worker: ["First.", fail("timeout", "claude timed out"), "Second."],
        reviewer: [ISSUES, "STATUS: DONE"],
      },
    });
    const task = await h.submit({ maxIterations: 5 });
    expect(await h.ended(task.id)).toMatchObject({ status: "failed", currentIteration: 2 });
    await h.orchestrator.resume(task.id);
    expect(await h.ended(task.id)).toMatchObject({ status: "done", currentIteration: 2 });
    expect(resumedFrom(h, task.id)).toEqual(["iteration 2 (claude)"]);
    expect(h.repos.iterations.list(task.id).map((i) => [i.n, i.status])).toEqual([
      [1, "done"],
      [2, "done"],
    ]);
  });

  it("after a cancel during the work: resumed, it repeats that iteration's work", async () => {
    const h = loopHarness({ scripts: { worker: [hang("claude"), "Done now."] } });
    const task = await h.submit();
    await expect.poll(() => h.agents.of().worker.calls.length).toBe(1);
    expect((await h.orchestrator.cancel(task.id)).status).toBe("cancelled");
    await h.orchestrator.resume(task.id);
    expect((await h.ended(task.id)).status).toBe("done");
    expect(resumedFrom(h, task.id)).toEqual(["iteration 1 (claude)"]);
    expect(h.agents.of().worker.calls).toHaveLength(2);
  });

  it("at the cap: refused without extraIterations, runs one more with it", async () => {
    const h = loopHarness({ scripts: { reviewer: [ISSUES, "STATUS: DONE"] } });
    const task = await h.submit({ maxIterations: 1 });
    expect((await h.ended(task.id)).status).toBe("needs_attention");
    await expect(h.orchestrator.resume(task.id)).rejects.toMatchObject({
      code: "not_resumable",
      message: expect.stringContaining("it reached its iteration cap (1); resume it with extraIterations"),
    });
    await h.orchestrator.resume(task.id, 1);
    expect(await h.ended(task.id)).toMatchObject({ status: "done", maxIterations: 2, currentIteration: 2 });
  });

  it("mid-wait: a server stop during a usage-limit wait, then a new orchestrator resumes the step", async () => {
    const h = loopHarness({
      settings: { usageLimitBackoffMs: 60_000 },
      scripts: { reviewer: [fail("usage_limit", "codex: usage limit reached"), "STATUS: DONE"] },
    });
    const task = await h.submit();
    await expect.poll(() => h.types(task.id)).toContain("task.paused");
    await h.orchestrator.shutdown();
    expect(h.repos.tasks.get(task.id)?.status).toBe("paused");
    const again = new Orchestrator({ repos: h.repos, bus: h.bus, settings: h.settings, agents: h.agents });
    onTestFinished(() => again.shutdown());
    again.start();
    await again.resume(task.id);
    await expect.poll(() => h.repos.tasks.get(task.id)?.status).toBe("done");
    expect(resumedFrom(h, task.id)).toEqual(["iteration 1 (codex; claude's answer is kept)"]);
    expect(h.agents.of().worker.calls).toHaveLength(1);
  });

  it("a done task is not resumable", async () => {
    const h = loopHarness();
    const task = await h.submit();
    await h.ended(task.id);
    await expect(h.orchestrator.resume(task.id)).rejects.toMatchObject({ code: "not_resumable" });
  });
});

describe("queue control, in-process", () => {
  it("a paused queue starts nothing; move reorders; resuming the queue runs them in the new order", async () => {
    const h = loopHarness();
    await h.orchestrator.setQueuePaused(true);
    const a = await h.submit({ title: "a" });
    const b = await h.submit({ title: "b" });
    const c = await h.submit({ title: "c" });
    expect(h.orchestrator.queue()).toMatchObject({ paused: true, running: null });
    expect(h.orchestrator.queue().tasks.map((t) => t.title)).toEqual(["a", "b", "c"]);
    await h.orchestrator.move(c.id, "top");
    expect((await h.orchestrator.move(a.id, "down")).tasks.map((t) => t.title)).toEqual(["c", "b", "a"]);
    expect(h.agents.of().worker.calls).toHaveLength(0);
    await h.orchestrator.setQueuePaused(false);
    for (const t of [a, b, c]) expect((await h.ended(t.id)).status).toBe("done");
    const started = [a, b, c]
      .map((t) => ({ title: t.title, id: h.events(t.id).find((e) => e.type === "task.started")!.id }))
      .sort((x, y) => x.id - y.id)
      .map((x) => x.title);
    expect(started).toEqual(["c", "b", "a"]);
  });

  it("move refuses a task that is not queued", async () => {
    const h = loopHarness();
    const task = await h.submit();
    await h.ended(task.id);
    await expect(h.orchestrator.move(task.id, "top")).rejects.toMatchObject({ code: "not_queued" });
  });

  it("delete removes a queued task with its events and artifacts; cancel of a queued one says so", async () => {
    const h = loopHarness();
    await h.orchestrator.setQueuePaused(true);
    const a = await h.submit({ title: "a" });
    const b = await h.submit({ title: "b" });
    await h.orchestrator.delete(a.id);
    expect(h.repos.tasks.get(a.id)).toBeUndefined();
    expect(h.events(a.id)).toEqual([]);
    expect(h.artifacts(a.id)).toEqual([]);
    expect(await h.orchestrator.cancel(b.id)).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled before it started",
    });
    expect(h.orchestrator.queue().tasks).toEqual([]);
  });

  it("retry starts a failed task over as a new task; a running one cannot be retried or deleted", async () => {
    const h = loopHarness({
      scripts: { worker: [fail("exit_nonzero", "claude exited with code 1"), hang("claude"), "Fine."] },
    });
    const task = await h.submit();
    expect((await h.ended(task.id)).status).toBe("failed");
    const retried = await h.orchestrator.retry(task.id);
    expect(retried).toMatchObject({ retryOf: task.id, status: "queued", prompt: task.prompt });
    await expect.poll(() => h.agents.of().worker.calls.length).toBe(2);
    await expect(h.orchestrator.retry(retried.id)).rejects.toMatchObject({ code: "not_retryable" });
    await expect(h.orchestrator.delete(retried.id)).rejects.toMatchObject({ code: "not_deletable" });
    await h.orchestrator.cancel(retried.id);
    const again = await h.orchestrator.retry(retried.id);
    expect((await h.ended(again.id)).status).toBe("done");
    expect(h.repos.iterations.list(again.id)).toHaveLength(1);
  });
});

/** A task row as the API would have stored it, for recovery to find. */
const storedTask = (h: ReturnType<typeof loopHarness>, title: string) =>
  h.repos.tasks.create({ title, prompt: "p", workingDir: h.workDir, maxIterations: 3 });

describe("start-up recovery of tasks a crashed server left running (decidedEnd)", () => {
  it("a stored DONE review finishes the task done; a run cut before its review is paused, then resumes with the review", async () => {
    const h = loopHarness({ start: false });
    const decided = storedTask(h, "d");
    const cut = storedTask(h, "c");
    for (const t of [decided, cut]) {
      h.repos.tasks.update(t.id, { status: "running", currentIteration: 1 });
      h.repos.iterations.start(t.id, 1);
      h.repos.iterations.update(t.id, 1, { claudeOutput: "Stored answer." });
    }
    // The crash came after the DONE review was stored, before the task row said so.
    h.repos.iterations.update(decided.id, 1, { review: "STATUS: DONE", verdict: "DONE", status: "done" });
    const report = await recover(h.repos, h.bus, {
      graceMs: 10,
      settings: h.settings,
      artifacts: new ArtifactStore(h.settings.artifactsDir),
    });
    expect(report).toMatchObject({ finished: [decided.id], paused: [cut.id] });
    expect(h.repos.tasks.get(decided.id)).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });
    expect(h.repos.tasks.get(cut.id)).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a crash of the server during iteration 1; resume it to continue from there",
    });
    h.orchestrator.start();
    await h.orchestrator.resume(cut.id);
    expect((await h.ended(cut.id)).status).toBe("done");
    expect(h.agents.of().worker.calls).toHaveLength(0);
    expect(resumedFrom(h, cut.id)).toEqual(["iteration 1 (codex; claude's answer is kept)"]);
  });

  it("a usage-limit wait cut by the crash loses its 'resumes at': paused naming the crash, then resumes; a task paused between iterations stays as it was", async () => {
    const h = loopHarness({ start: false });
    const waiting = storedTask(h, "w");
    const between = storedTask(h, "b");
    // Waiting out claude's limit in iteration 1: the row says paused, the iteration still runs.
    h.repos.tasks.update(waiting.id, {
      status: "paused",
      statusReason: "Claude's usage limit was reached; resumes at 14:00",
      currentIteration: 1,
    });
    h.repos.iterations.start(waiting.id, 1);
    // Paused by the user's step mode after a finished iteration 1.
    h.repos.tasks.update(between.id, {
      status: "paused",
      statusReason: "Waiting for you",
      currentIteration: 1,
    });
    h.repos.iterations.start(between.id, 1);
    h.repos.iterations.update(between.id, 1, {
      claudeOutput: "a",
      review: "STATUS: ISSUES_FOUND\n- x",
      verdict: "ISSUES_FOUND",
      status: "done",
    });
    const report = await recover(h.repos, h.bus, {
      graceMs: 10,
      settings: h.settings,
      artifacts: new ArtifactStore(h.settings.artifactsDir),
    });
    expect(report).toMatchObject({ paused: [waiting.id], finished: [] });
    expect(h.repos.tasks.get(waiting.id)).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a crash of the server while it waited out a usage limit during iteration 1; resume it to continue from there",
    });
    expect(h.repos.iterations.get(waiting.id, 1)?.status).toBe("interrupted");
    expect(h.repos.tasks.get(between.id)).toMatchObject({
      status: "paused",
      statusReason: "Waiting for you",
    });
    h.orchestrator.start();
    await h.orchestrator.resume(waiting.id);
    expect((await h.ended(waiting.id)).status).toBe("done");
  });
});
