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
  it("follow every task and iteration write with the row, and only once its transaction committed", () => {
    const repos = createTestRepositories();
    const bus = new EventBus(repos);
    const sent: LoopEvent[] = [];
    bus.subscribe((e) => sent.push(e));
    const task = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const running = repos.tasks.update(task.id, { status: "running" });
    repos.iterations.start(task.id, 1);
    expect(sent.map((e) => [e.type, e.iteration])).toEqual([
      ["task.updated", null],
      ["task.updated", null],
      ["iteration.updated", 1],
    ]);
    expect(sent[1]!.data).toEqual({ task: running });
    // A rolled-back write publishes nothing, and its id goes to the next event as SQLite decides.
    expect(() =>
      repos.transaction(() => {
        repos.tasks.update(task.id, { status: "done" });
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(sent).toHaveLength(3);
    repos.transaction(() => {
      repos.tasks.update(task.id, { currentIteration: 1 });
      expect(sent).toHaveLength(3);
    });
    expect(sent).toHaveLength(4);
    const stored = repos.events.listAfter({ afterId: 0, limit: 100 });
    expect(stored).toEqual(sent);
  });
});
