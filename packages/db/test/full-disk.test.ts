import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { classifyStorageError, openRepositories, type Repositories } from "../src/index.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A small tmpfs of our own, or null where mounting is not allowed (not root, a locked-down container). */
function tmpfs(sizeKb: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), "loop-db-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
const canMount = (() => {
  const dir = tmpfs(64);
  if (dir) cleanups.pop()?.();
  return dir !== null;
})();

/** Fills the file system holding `dir` to its last block; returns the filler to remove. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=4k"], { stdio: "ignore" });
  } catch {
    // dd stops with ENOSPC: that is the point
  }
  return filler;
}

const finding = {
  id: "F1",
  text: "a finding",
  status: "open" as const,
  firstIteration: 1,
  lastIteration: 1,
  openSince: 1,
  streak: 1,
  resolvedIteration: null,
};

/** Every write a repository offers, each one that changes at least one row of what seed() stored. */
function seed(repos: Repositories) {
  const t = (title: string) =>
    repos.tasks.create({ title, prompt: "p", workingDir: "/tmp", maxIterations: 3 });
  const a = t("a");
  const gone = t("deleted");
  const q = t("queued");
  repos.iterations.start(a.id, 1);
  const run = repos.agentRuns.begin({ taskId: a.id, iteration: 1, agent: "claude", marker: "m1" });
  for (let i = 0; i < 3; i++)
    repos.events.append({ taskId: q.id, iteration: null, type: "task.warning", data: { message: `m${i}` } });
  repos.findings.replace(a.id, [finding]);
  const note = repos.notes.add(a.id, "a note", 1);
  repos.state.set("k", { v: 1 });
  repos.state.set("gone", 1);
  const window = {
    agent: "claude" as const,
    window: "five_hour",
    status: "allowed",
    utilization: 10,
    resetsAt: null,
    overage: null,
    updatedAt: new Date().toISOString(),
  };
  repos.limits.record(window);
  const writes: Array<[string, () => unknown]> = [
    ["tasks.create", () => t("new")],
    ["tasks.update", () => repos.tasks.update(a.id, { status: "running", statusReason: "x".repeat(500) })],
    ["tasks.requeue", () => repos.tasks.requeue(a.id, { statusReason: null })],
    [
      "tasks.reorderQueue",
      () =>
        repos.tasks.reorderQueue(
          repos.tasks
            .listQueued()
            .map((x) => x.id)
            .reverse(),
        ),
    ],
    ["tasks.delete", () => repos.tasks.delete(gone.id)],
    ["iterations.start", () => repos.iterations.start(a.id, 2)],
    [
      "iterations.update",
      () => repos.iterations.update(a.id, 1, { status: "done", review: "r".repeat(500) }),
    ],
    [
      "iterations.setTaskChanges",
      () =>
        repos.iterations.setTaskChanges(a.id, 1, {
          title: "Changes over the whole task",
          kind: "files",
          files: [],
          added: 0,
          deleted: 0,
          omitted: [],
          notes: ["n".repeat(500)],
        }),
    ],
    [
      "events.append",
      () => repos.events.append({ taskId: a.id, iteration: 1, type: "task.warning", data: { message: "e" } }),
    ],
    ["events.deleteSomeOf", () => repos.events.deleteSomeOf(q.id, 2)],
    ["findings.replace", () => repos.findings.replace(a.id, [{ ...finding, streak: 2 }])],
    ["notes.add", () => repos.notes.add(a.id, "n".repeat(500), 1)],
    ["notes.delivered", () => repos.notes.delivered(a.id, "worker", 1, [note.id])],
    [
      "agentRuns.begin",
      () => repos.agentRuns.begin({ taskId: a.id, iteration: 1, agent: "codex", marker: "m2" }),
    ],
    ["agentRuns.spawned", () => repos.agentRuns.spawned(run.id, { pid: 1, pgid: 1, procStart: "1" })],
    ["agentRuns.end", () => repos.agentRuns.end(run.id)],
    ["state.set", () => repos.state.set("k", { v: 2 })],
    ["state.delete", () => repos.state.delete("gone")],
    ["limits.record", () => repos.limits.record({ ...window, utilization: 90 })],
    [
      "transaction",
      () => repos.transaction(() => repos.tasks.update(q.id, { statusReason: "y".repeat(500) })),
    ],
  ];
  return { a, writes };
}

/** Which repository methods exist, so a new write cannot be left out of the table above. */
function repositoryWrites(repos: Repositories): string[] {
  const reads =
    /^(get|list|count|texts|snapshotsOf|taskSnapshots|changesOf|taskChanges|usageTotal|spendSince|maxId|nextQueued|newId|watch|lastOpenOf|pending)/;
  const names: string[] = [];
  for (const [key, repo] of Object.entries(repos)) {
    if (key === "handle" || typeof repo !== "object") continue;
    const proto = Object.getPrototypeOf(repo) as object;
    for (const m of Object.getOwnPropertyNames(proto)) {
      const fn = (proto as Record<string, unknown>)[m];
      // Private helpers (written, tailPos) are not part of the table.
      if (m === "constructor" || typeof fn !== "function" || reads.test(m)) continue;
      if (["written", "tailPos"].includes(m)) continue;
      names.push(`${key}.${m}`);
    }
  }
  return names.sort();
}

// A real file system that runs out of blocks: the write fails when the WAL grows at commit, where
// RETURNING read through .get() hid it. PRAGMA max_page_count is no stand-in: it fails the statement
// itself, and RETURNING threw there too.
describe("a full disk under the database", () => {
  it.skipIf(!canMount)(
    "every repository write throws SQLITE_FULL on a full tmpfs (none reports success without storing), and works again once there is room",
    () => {
      const dir = tmpfs(2048)!;
      const path = join(dir, "loop.db");
      const repos = openRepositories(path);
      cleanups.push(() => repos.handle.close());
      const { a, writes } = seed(repos);
      expect(
        writes
          .map(([name]) => name)
          .filter((n) => n !== "transaction")
          .sort(),
      ).toEqual(repositoryWrites(repos));
      // An empty WAL: each write below needs new blocks (a WAL that restarts from its start would
      // overwrite blocks it already has and not notice the full disk).
      repos.handle.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      const filler = fill(dir);

      const silent: string[] = [];
      for (const [name, write] of writes) {
        try {
          write();
          silent.push(name);
        } catch (err) {
          expect(classifyStorageError(err, path)?.kind, `${name}: ${(err as Error).message}`).toBe("full");
        }
      }
      expect(silent).toEqual([]);
      // Nothing of it was stored.
      expect(repos.tasks.get(a.id)).toMatchObject({ status: "queued", statusReason: null });
      expect(repos.iterations.get(a.id, 1)?.status).toBe("running");
      expect(
        repos.tasks
          .list({ limit: 10 })
          .tasks.map((t) => t.title)
          .sort(),
      ).toEqual(["a", "deleted", "queued"]);

      rmSync(filler);
      for (const [, write] of writes) write();
      expect(repos.tasks.get(a.id)).toMatchObject({ status: "queued", statusReason: null });
      expect(repos.iterations.get(a.id, 1)?.status).toBe("done");
      expect(
        repos.tasks
          .list({ limit: 10 })
          .tasks.map((t) => t.title)
          .sort(),
      ).toEqual(["a", "new", "queued"]);
      expect(repos.state.get("k")).toEqual({ v: 2 });
    },
  );

  it("no repository reads its write back through RETURNING (better-sqlite3's .get() hid SQLITE_FULL there)", () => {
    const src = join(import.meta.dirname, "../src/repositories");
    for (const f of readdirSync(src)) {
      expect(readFileSync(join(src, f), "utf8"), f).not.toMatch(/\.returning\(|RETURNING \*/);
    }
  });
});
