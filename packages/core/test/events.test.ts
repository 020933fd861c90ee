import { createTestRepositories } from "@loop/db/testing";
import type { LoopEvent } from "@loop/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBus, splitUtf8 } from "../src/events.ts";

describe("splitUtf8", () => {
  it("never exceeds the byte limit, never splits a code point, and loses nothing", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.integer({ min: 4, max: 50 }),
        (s, max) => {
          const pieces = splitUtf8(s, max);
          expect(pieces.join("")).toBe(s);
          for (const p of pieces) {
            expect(Buffer.byteLength(p)).toBeLessThanOrEqual(max);
            expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
          }
        },
      ),
    );
  });
});

describe("EventBus", () => {
  it("stores before publishing and splits long lines into continuation events", () => {
    const repos = createTestRepositories();
    const task = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const bus = new EventBus(repos);
    const seen: LoopEvent[] = [];
    bus.subscribe((e) => {
      // The event is already in SQLite when a listener sees it.
      expect(repos.events.listAfter({ afterId: e.id - 1, limit: 1 })[0]?.id).toBe(e.id);
      seen.push(e);
    });
    const long = "é".repeat(70 * 1024);
    bus.emitOutput(task.id, 1, "claude", "stdout", long);
    bus.emitOutput(task.id, 1, "claude", "stdout", "short");
    expect(seen).toHaveLength(4);
    const lines = seen.map((e) => (e.type === "agent.output" ? e.data : null));
    expect(lines[0]).toMatchObject({ final: false });
    expect(lines[0]).not.toHaveProperty("continuation");
    expect(lines[2]).toMatchObject({ continuation: true, final: true });
    expect(lines[3]).toEqual({ agent: "claude", stream: "stdout", line: "short" });
    expect(
      lines
        .slice(0, 3)
        .map((d) => d?.line)
        .join(""),
    ).toBe(long);
    repos.handle.close();
  });

  it("keeps publishing when a listener throws", () => {
    const repos = createTestRepositories();
    const task = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const bus = new EventBus(repos);
    let got = 0;
    bus.subscribe(() => {
      throw new Error("boom");
    });
    const off = bus.subscribe(() => got++);
    bus.emit({ taskId: task.id, iteration: null, type: "task.warning", data: { message: "x" } });
    off();
    bus.emit({ taskId: task.id, iteration: null, type: "task.warning", data: { message: "y" } });
    expect(got).toBe(1);
    expect(bus.listenerCount).toBe(1);
    repos.handle.close();
  });
});

describe("row events", () => {
  it("are sent by the writer with what changed, and only once its transaction committed", () => {
    const repos = createTestRepositories();
    const bus = new EventBus(repos);
    const sent: LoopEvent[] = [];
    bus.subscribe((e) => sent.push(e));
    const task = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    // A repository write alone says nothing: whoever writes sends the change.
    repos.tasks.update(task.id, { status: "running" });
    expect(sent).toEqual([]);
    bus.taskUpdated(task.id, { status: "running" });
    bus.iterationUpdated(task.id, 1, { claudeDurationMs: 5, claudeOutput: "not shown", snapshotAfter: {} });
    // Only fields the API shows: a write of texts or snapshots alone sends nothing.
    bus.iterationUpdated(task.id, 1, { review: "r", snapshotBefore: {} });
    expect(sent.map((e) => [e.type, e.iteration, e.data])).toEqual([
      ["task.updated", null, { task: { id: task.id, status: "running" } }],
      ["iteration.updated", 1, { iteration: { n: 1, claudeDurationMs: 5 } }],
    ]);
    // Sent inside a transaction, it is published once the transaction committed, and never on a rollback.
    expect(() =>
      repos.transaction(() => {
        repos.tasks.update(task.id, { status: "done" });
        bus.taskUpdated(task.id, { status: "done" });
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(sent).toHaveLength(2);
    repos.transaction(() => {
      repos.tasks.update(task.id, { currentIteration: 1 });
      bus.taskUpdated(task.id, { currentIteration: 1 });
      expect(sent).toHaveLength(2);
    });
    expect(sent).toHaveLength(3);
    const stored = repos.events.listAfter({ afterId: 0, limit: 100 });
    expect(stored).toEqual(sent);
  });
});
