import { emptyUsage, type Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { addTasks, applyListEvents, emptyList, mergeTasks } from "../src/features/tasks/listModel.ts";
import { eventStream } from "./events.ts";

const task = (id: string, o: Partial<Task> = {}): Task => ({
  id,
  title: id,
  prompt: "p",
  workingDir: "/w",
  maxIterations: 3,
  status: "queued",
  statusReason: null,
  currentIteration: 0,
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  finishedAt: null,
  usage: emptyUsage(),
  maxCostUsd: null,
  maxCodexTokens: null,
  retryOf: null,
  isolation: "none",
  worktree: null,
  ...o,
});

describe("task list model", () => {
  it("merges pages newest first, each task once", () => {
    let s = mergeTasks(emptyList, [task("03"), task("02")], "c1");
    expect(s).toMatchObject({ loaded: true, nextCursor: "c1" });
    s = mergeTasks(s, [task("02", { title: "fresh" }), task("01")], null);
    expect(s.tasks.map((t) => t.id)).toEqual(["03", "02", "01"]);
    expect(s.tasks[1]!.title).toBe("fresh");
    expect(s.nextCursor).toBeNull();
  });

  it("adds a task created elsewhere on top, but keeps a copy it already has", () => {
    const s = mergeTasks(emptyList, [task("02", { status: "running" })], null);
    const added = addTasks(s, [task("03"), task("02")]);
    expect(added.tasks.map((t) => [t.id, t.status])).toEqual([
      ["03", "queued"],
      ["02", "running"],
    ]);
    expect(addTasks(added, [task("03")])).toBe(added);
  });

  it("applies live events to the tasks it lists and ignores the rest", () => {
    const s = mergeTasks(emptyList, [task("t1"), task("t2")], null);
    const e1 = eventStream("t1");
    const e3 = eventStream("t3");
    const next = applyListEvents(s, [
      e1.ev("task.started", {}),
      e1.ev("iteration.started", { n: 1 }, 1),
      e1.out(1, "noise"),
      e3.ev("task.started", {}),
    ]);
    expect(next.tasks.find((t) => t.id === "t1")).toMatchObject({ status: "running", currentIteration: 1 });
    expect(next.tasks.find((t) => t.id === "t2")).toBe(s.tasks.find((t) => t.id === "t2"));
    expect(applyListEvents(s, [e3.ev("task.started", {})])).toBe(s);
  });
});
