import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { Orchestrator } from "../src/orchestrator.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { fail } from "./support/memory-agents.ts";

/**
 * What a resume keeps and what survives a restart, through the real Orchestrator with in-memory
 * agents. These ran in apps/server/test/durable.test.ts against the fake CLIs; the HTTP side of
 * resume and queue control stays there.
 */
describe("resume keeps what was finished, in-process", () => {
  it("a failed review: resume runs only the reviewer, the worker's files stay byte for byte, events say from where", async () => {
    const h = loopHarness({
      scripts: { reviewer: [fail("agent_error", "codex reported an error: boom"), "STATUS: DONE"] },
    });
    const task = await h.submit({ maxIterations: 3 });
    expect((await h.ended(task.id)).status).toBe("failed");
    const dir = join(h.settings.artifactsDir, task.id);
    const workerFiles = () =>
      ["001-claude-prompt.md", "001-claude-output.md"].map((f) => readFileSync(join(dir, f)));
    const before = workerFiles();

    expect(await h.orchestrator.resume(task.id)).toMatchObject({ id: task.id, status: "queued" });
    expect(await h.ended(task.id)).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });
    const { worker, reviewer } = h.agents.of();
    expect([worker.calls.length, reviewer.calls.length]).toEqual([1, 2]);
    expect(workerFiles()).toEqual(before);
    const events = h.events(task.id);
    // Event ids only grow and are never repeated.
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    expect(events.find((e) => e.type === "task.resumed")?.data).toMatchObject({
      agent: "codex",
      fromIteration: 1,
      from: expect.stringMatching(/codex/),
    });
    expect(events.filter((e) => e.type === "task.requeued")).toHaveLength(1);
  });

  it("a failed worker run repeats that iteration's work; the history read back from the database feeds its prompt", async () => {
    const h = loopHarness({
      scripts: {
        worker: ["first answer", fail("exit_nonzero", "claude exited with code 3: crashed"), "second answer"],
        reviewer: ["STATUS: ISSUES_FOUND\n- fix the flag", "STATUS: DONE"],
      },
    });
    const task = await h.submit({ maxIterations: 3 });
    expect(await h.ended(task.id)).toMatchObject({ status: "failed", currentIteration: 2 });
    await h.orchestrator.resume(task.id);
    expect((await h.ended(task.id)).status).toBe("done");
    const { worker } = h.agents.of();
    expect(worker.calls).toHaveLength(3);
    expect(worker.prompts[2]).toContain("first answer");
    expect(worker.prompts[2]).toContain("fix the flag");
    expect(h.repos.iterations.list(task.id).map((i) => [i.n, i.status])).toEqual([
      [1, "done"],
      [2, "done"],
    ]);
  });
});

describe("queue control across a restart, in-process", () => {
  it("a paused queue and its order survive a new orchestrator on the same database; nothing starts until resumed", async () => {
    const h = loopHarness();
    await h.orchestrator.setQueuePaused(true);
    const a = await h.submit({ title: "a" });
    const b = await h.submit({ title: "b" });
    const c = await h.submit({ title: "c" });
    await h.orchestrator.move(c.id, "top");
    await h.orchestrator.shutdown();

    const again = new Orchestrator({ repos: h.repos, bus: h.bus, settings: h.settings, agents: h.agents });
    onTestFinished(() => again.shutdown());
    again.start();
    expect(again.queue()).toMatchObject({ paused: true, running: null });
    expect(again.queue().tasks.map((t) => t.title)).toEqual(["c", "a", "b"]);
    await again.idle();
    expect(h.agents.of().worker.calls).toHaveLength(0);
    expect(h.repos.tasks.get(c.id)?.status).toBe("queued");

    await again.setQueuePaused(false);
    await expect
      .poll(() => [a, b, c].map((t) => h.repos.tasks.get(t.id)?.status))
      .toEqual(["done", "done", "done"]);
    const started = h.repos.events
      .listAfter({ afterId: 0, limit: 100_000 })
      .filter((e) => e.type === "task.started")
      .map((e) => e.taskId);
    expect(started).toEqual([c.id, a.id, b.id]);
  });
});
