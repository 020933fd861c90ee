import type { TaskListResponse } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { applyTaskToPages, matches } from "../src/features/tasks/listModel.ts";
import { applyToDetail } from "../src/lib/cache.ts";
import { eventStream } from "./events.ts";
import { taskRow as task } from "./task.ts";

const page = (ids: string[], lastEventId: number, nextCursor: string | null = null): TaskListResponse => ({
  tasks: ids.map((id) => task(id)),
  nextCursor,
  lastEventId,
});
const ids = (pages: TaskListResponse[]) => pages.map((p) => p.tasks.map((t) => t.id));

describe("applyTaskToPages (task.updated on the list cache)", () => {
  it("replaces the listed row with the server's, whatever changed", () => {
    const pages = [page(["c", "b", "a"], 10)];
    const out = applyTaskToPages(pages, {}, task("b", { status: "done", statusReason: "ok" }), 11, true);
    expect(out[0]!.tasks[1]).toMatchObject({ id: "b", status: "done", statusReason: "ok" });
    expect(pages[0]!.tasks[1]!.status).toBe("queued");
  });

  it("never lets an event older than the snapshot overwrite it", () => {
    const pages = [page(["b"], 20)];
    expect(applyTaskToPages(pages, {}, task("b", { status: "running" }), 15, true)).toEqual(pages);
  });

  it("drops a row that leaves the filter and adds one that joins it, newest first", () => {
    const running = [page(["d", "b"], 10)];
    let out = applyTaskToPages(running, { status: "running" }, task("d", { status: "done" }), 11, true);
    expect(ids(out)).toEqual([["b"]]);
    out = applyTaskToPages(out, { status: "running" }, task("c", { status: "running" }), 12, true);
    expect(ids(out)).toEqual([["c", "b"]]);
    out = applyTaskToPages(out, { status: "running" }, task("e", { status: "queued" }), 13, true);
    expect(ids(out)).toEqual([["c", "b"]]);
  });

  it("adds a new task on top, but not one that belongs to a page not loaded yet", () => {
    const pages = [page(["f", "e"], 10, "e"), page(["d", "c"], 12, "c")];
    expect(ids(applyTaskToPages(pages, {}, task("g"), 13, true))).toEqual([
      ["g", "f", "e"],
      ["d", "c"],
    ]);
    expect(ids(applyTaskToPages(pages, {}, task("a"), 13, true))).toEqual(ids(pages));
    const all = [page(["f", "e"], 10, "e"), page(["d", "c"], 12, null)];
    expect(ids(applyTaskToPages(all, {}, task("a"), 13, true))).toEqual([
      ["f", "e"],
      ["d", "c", "a"],
    ]);
  });

  it("searches titles like the server: contained, ignoring case and surrounding spaces", () => {
    expect(matches({ q: " LOGIN " }, task("x", { title: "Fix the login form" }))).toBe(true);
    expect(matches({ q: "logout" }, task("x", { title: "Fix the login form" }))).toBe(false);
    expect(matches({ q: "fix", status: "done" }, task("x", { title: "fix", status: "queued" }))).toBe(false);
  });
});

describe("applyToDetail (row events on a task page's snapshot)", () => {
  it("takes the task, iteration and findings rows newer than the snapshot", () => {
    const s = eventStream("t1");
    const d0 = { task: task("t1"), iterations: [], findings: [], notes: [], lastEventId: 1 };
    s.ev("task.warning", { message: "skip id 1" });
    const running = s.ev("task.updated", { task: task("t1", { status: "running", currentIteration: 1 }) });
    const it1 = {
      n: 1,
      status: "running" as const,
      verdict: null,
      startedAt: "x",
      finishedAt: null,
      claudeDurationMs: null,
      codexDurationMs: null,
      claudeSessionId: null,
      claudePromptBytes: null,
      codexPromptBytes: null,
      check: null,
      usage: task("t1").usage,
    };
    const started = s.ev("iteration.updated", { iteration: it1 }, 1);
    const done = s.ev("iteration.updated", { iteration: { ...it1, status: "done", verdict: "DONE" } }, 1);
    let d = [running, started, done].reduce(applyToDetail, d0);
    expect(d.task.status).toBe("running");
    expect(d.iterations).toEqual([{ ...it1, status: "done", verdict: "DONE" }]);
    // Replayed again (a new leader's overlap) or from another task: no change.
    expect([running, started].reduce(applyToDetail, d)).toBe(d);
    d = applyToDetail(d, eventStream("t2").ev("task.updated", { task: task("t2") }));
    expect(d.task.id).toBe("t1");
  });

  it("merges the changed fields a row event carries into the rows it holds", () => {
    const s = eventStream("t1");
    const d0 = {
      task: task("t1", { prompt: "the long prompt" }),
      iterations: [],
      findings: [],
      notes: [],
      lastEventId: 0,
    };
    const it1 = { ...emptyIteration(1), status: "running" as const };
    const events = [
      s.ev("task.updated", { task: { id: "t1", status: "running", currentIteration: 1 } }),
      s.ev("iteration.updated", { iteration: it1 }, 1),
      s.ev("iteration.updated", { iteration: { n: 1, claudePromptBytes: 120 } }, 1),
      // A change for an iteration it never saw start is not a row yet: left out, not half-shown.
      s.ev("iteration.updated", { iteration: { n: 2, codexDurationMs: 3 } }, 2),
      s.ev("task.updated", {
        task: { id: "t1", status: "done", statusReason: "Codex reported STATUS: DONE" },
      }),
    ];
    const d = events.reduce(applyToDetail, d0);
    expect(d.task).toEqual({
      ...d0.task,
      status: "done",
      statusReason: "Codex reported STATUS: DONE",
      currentIteration: 1,
    });
    expect(d.iterations).toEqual([{ ...it1, claudePromptBytes: 120 }]);
    expect(d.lastEventId).toBe(events.at(-1)!.id);
  });
});

const emptyIteration = (n: number) => ({
  n,
  status: "running" as const,
  verdict: null,
  startedAt: "x",
  finishedAt: null,
  claudeDurationMs: null,
  codexDurationMs: null,
  claudeSessionId: null,
  claudePromptBytes: null,
  codexPromptBytes: null,
  check: null,
  usage: task("t1").usage,
});
