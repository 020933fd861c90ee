import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Changes } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Repositories } from "../src/index.ts";
import { createTestRepositories } from "../src/testing.ts";

let repos: Repositories;
afterEach(() => repos?.handle.close());

describe("tasks", () => {
  it("creates tasks with sortable ids and lists newest first with a cursor", () => {
    repos = createTestRepositories();
    const made = Array.from({ length: 5 }, (_, i) =>
      repos.tasks.create({ title: `t${i}`, prompt: "p", workingDir: "/tmp", maxIterations: 3 }),
    );
    expect([...made.map((t) => t.id)].sort()).toEqual(made.map((t) => t.id));
    expect(made[0]).toMatchObject({ status: "queued", currentIteration: 0, startedAt: null, retryOf: null });
    const p1 = repos.tasks.list({ limit: 2 });
    expect(p1.tasks.map((t) => t.title)).toEqual(["t4", "t3"]);
    const p2 = repos.tasks.list({ limit: 2, cursor: p1.nextCursor! });
    expect(p2.tasks.map((t) => t.title)).toEqual(["t2", "t1"]);
    const p3 = repos.tasks.list({ limit: 2, cursor: p2.nextCursor! });
    expect(p3.tasks.map((t) => t.title)).toEqual(["t0"]);
    expect(p3.nextCursor).toBeNull();
  });

  it("filters by status, finds the FIFO head and updates", () => {
    repos = createTestRepositories();
    const a = repos.tasks.create({ title: "a", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const b = repos.tasks.create({ title: "b", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    expect(repos.tasks.nextQueued()?.id).toBe(a.id);
    repos.tasks.update(a.id, { status: "running", startedAt: new Date().toISOString() });
    expect(repos.tasks.nextQueued()?.id).toBe(b.id);
    expect(repos.tasks.countByStatus("running")).toBe(1);
    expect(repos.tasks.list({ limit: 10, status: "running" }).tasks.map((t) => t.id)).toEqual([a.id]);
    expect(() => repos.tasks.update("nope", { status: "done" })).toThrow(/not found/);
  });
});

describe("iterations", () => {
  it("starts, updates and lists iterations in order", () => {
    repos = createTestRepositories();
    const t = repos.tasks.create({ title: "a", prompt: "p", workingDir: "/tmp", maxIterations: 3 });
    repos.iterations.start(t.id, 2);
    repos.iterations.start(t.id, 1);
    repos.iterations.update(t.id, 1, { status: "done", verdict: "ISSUES_FOUND", claudeDurationMs: 5 });
    const list = repos.iterations.list(t.id);
    expect(list.map((i) => i.n)).toEqual([1, 2]);
    expect(list[0]).toMatchObject({ status: "done", verdict: "ISSUES_FOUND", claudeDurationMs: 5 });
  });
});

describe("findings and snapshots", () => {
  const entry = (id: string, status: "open" | "resolved", first: number) => ({
    id,
    text: `finding ${id}`,
    status,
    firstIteration: first,
    lastIteration: first,
    openSince: status === "open" ? first : null,
    streak: status === "open" ? 1 : 0,
    resolvedIteration: status === "open" ? null : first + 1,
  });

  it("replaces a task's ledger whole and lists it by id number; deleting the task drops it", () => {
    repos = createTestRepositories();
    const t = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 3 });
    const other = repos.tasks.create({ title: "o", prompt: "p", workingDir: "/tmp", maxIterations: 3 });
    repos.findings.replace(other.id, [entry("F1", "open", 1)]);
    repos.findings.replace(t.id, [entry("F10", "open", 2), entry("F2", "resolved", 1)]);
    expect(repos.findings.list(t.id).map((f) => f.id)).toEqual(["F2", "F10"]);
    repos.findings.replace(t.id, [entry("F2", "open", 1)]);
    expect(repos.findings.list(t.id)).toEqual([entry("F2", "open", 1)]);
    repos.tasks.delete(t.id);
    expect(repos.findings.list(t.id)).toEqual([]);
    expect(repos.findings.list(other.id)).toHaveLength(1);
  });

  it("keeps an iteration's first snapshot when it starts again; finds the task's first and last", () => {
    repos = createTestRepositories();
    const t = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 3 });
    expect(repos.iterations.taskSnapshots(t.id)).toEqual({ first: null, last: null });
    repos.iterations.start(t.id, 1);
    repos.iterations.update(t.id, 1, {
      snapshotBefore: { kind: "git", tree: "a" },
      snapshotAfter: { tree: "b" },
    });
    repos.iterations.start(t.id, 2);
    repos.iterations.update(t.id, 2, { snapshotBefore: { tree: "c" }, snapshotAfter: { tree: "d" } });
    repos.iterations.start(t.id, 2);
    expect(repos.iterations.snapshotsOf(t.id, 2)).toEqual({ n: 2, before: { tree: "c" }, after: null });
    expect(repos.iterations.taskSnapshots(t.id)).toEqual({
      first: { kind: "git", tree: "a" },
      last: { tree: "b" },
    });
  });
});

describe("iteration changes", () => {
  const changes = (title: string, path: string): Changes => ({
    title,
    kind: "git",
    files: [
      {
        path,
        oldPath: null,
        status: "added",
        added: 1,
        deleted: 0,
        binary: false,
        patch: {
          header: [`diff --git a/${path} b/${path}`],
          hunks: [
            {
              header: "@@ -0,0 +1 @@",
              oldStart: 0,
              oldLines: 0,
              newStart: 1,
              newLines: 1,
              lines: [{ kind: "add", text: "x" }],
            },
          ],
        },
      },
    ],
    added: 1,
    deleted: 0,
    omitted: [],
    notes: [],
  });

  it("stores each iteration's changes and the whole task's latest, out of the iteration rows the API lists", () => {
    repos = createTestRepositories();
    const t = repos.tasks.create({ title: "t", prompt: "p", workingDir: "/tmp", maxIterations: 3 });
    repos.iterations.start(t.id, 1);
    expect(repos.iterations.changesOf(t.id, 1)).toBeNull();
    expect(repos.iterations.changesOf(t.id, 9)).toBeNull();
    expect(repos.iterations.taskChanges(t.id)).toBeNull();
    const one = changes("Changes in iteration 1", "a.txt");
    repos.iterations.update(t.id, 1, { changes: one });
    repos.iterations.setTaskChanges(t.id, 1, changes("Changes over the whole task", "a.txt"));
    repos.iterations.start(t.id, 2);
    repos.iterations.update(t.id, 2, { changes: changes("Changes in iteration 2", "b.txt") });
    repos.iterations.setTaskChanges(t.id, 2, changes("Changes over the whole task", "b.txt"));
    expect(repos.iterations.changesOf(t.id, 1)).toEqual(one);
    expect(repos.iterations.taskChanges(t.id)?.files[0]?.path).toBe("b.txt");
    // Only the latest whole-task change is kept.
    const kept = repos.handle.sqlite
      .prepare("SELECT n FROM iterations WHERE task_id = ? AND task_changes IS NOT NULL")
      .all(t.id);
    expect(kept).toEqual([{ n: 2 }]);
    // An iteration that starts again keeps them until it computes them anew.
    repos.iterations.start(t.id, 2);
    expect(repos.iterations.changesOf(t.id, 2)?.title).toBe("Changes in iteration 2");
    expect(repos.iterations.taskChanges(t.id)?.files[0]?.path).toBe("b.txt");
    expect(Object.keys(repos.iterations.list(t.id)[0]!)).not.toContain("changes");
    // A shape this version does not read is no data, not an error.
    repos.handle.sqlite.prepare("UPDATE iterations SET changes = '{\"v\":9}' WHERE n = 1").run();
    expect(repos.iterations.changesOf(t.id, 1)).toBeNull();
    repos.tasks.delete(t.id);
    expect(repos.iterations.taskChanges(t.id)).toBeNull();
  });
});

describe("events", () => {
  it("appends with growing ids across tasks and pages by task", () => {
    repos = createTestRepositories();
    const a = repos.tasks.create({ title: "a", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const b = repos.tasks.create({ title: "b", prompt: "p", workingDir: "/tmp", maxIterations: 1 });
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const e = repos.events.append({
        taskId: i % 2 ? a.id : b.id,
        iteration: 1,
        type: "task.warning",
        data: { message: `m${i}` },
      });
      ids.push(e.id);
    }
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(repos.events.maxId()).toBe(ids.at(-1));
    const page = repos.events.listAfter({ afterId: 0, taskId: a.id, limit: 3 });
    expect(page.map((e) => (e.type === "task.warning" ? e.data.message : ""))).toEqual(["m1", "m3", "m5"]);
    const rest = repos.events.listAfter({ afterId: page.at(-1)!.id, taskId: a.id, limit: 100 });
    expect(rest).toHaveLength(2);
    expect(repos.events.listAfter({ afterId: 0, limit: 100 })).toHaveLength(10);
  });

  it("rejects events for a task that does not exist (foreign keys are on)", () => {
    repos = createTestRepositories();
    expect(() =>
      repos.events.append({
        taskId: "missing",
        iteration: null,
        type: "task.warning",
        data: { message: "x" },
      }),
    ).toThrow(/FOREIGN KEY/);
  });
});

describe("openDatabase", () => {
  it("uses WAL on files and migrates idempotently", () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-db-"));
    try {
      const path = join(dir, "x.db");
      const h1 = openDatabase(path);
      expect(h1.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(h1.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(h1.sqlite.pragma("busy_timeout", { simple: true })).toBe(20);
      h1.close();
      const h2 = openDatabase(path);
      const tables = h2.sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        .all();
      expect(tables.map((t) => (t as { name: string }).name)).toEqual(
        expect.arrayContaining(["events", "iterations", "tasks"]),
      );
      h2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
