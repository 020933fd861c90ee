import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@loop/db";
import type { LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const c of cleanups.splice(0).reverse()) c();
});

const json = { "content-type": "application/json" };
const post = (app: TestApp, body: object) =>
  app.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "t", prompt: "p", ...body },
    headers: json,
  });

/** Every event a live listener was sent is stored with that id; ids are unique and only grow. */
function watchIds(app: TestApp) {
  const sent: LoopEvent[] = [];
  app.bus.subscribe((e) => sent.push(e));
  return () => {
    const stored = app.repos.events.listAfter({ afterId: 0, limit: 1_000_000 });
    const ids = stored.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const e of sent) expect(byId.get(e.id)?.type).toBe(e.type);
    expect(new Set(sent.map((e) => e.id)).size).toBe(sent.length);
  };
}

const status = (app: TestApp, id: string, statuses: string[], ms = 20_000) =>
  waitFor(
    () => {
      const task = app.repos.tasks.get(id);
      return task && statuses.includes(task.status) ? task : undefined;
    },
    ms,
    `task to be ${statuses.join("/")}`,
  );

/** A small tmpfs of our own, or null where mounting is not allowed (not root, a locked-down container). */
function tmpfs(sizeKb: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), "loop-tmpfs-"));
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
  const d = mkdtempSync(join(tmpdir(), "loop-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d], { stdio: "ignore" });
    execFileSync("umount", [d], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();

describe("another process holds the database locked past the busy timeout", () => {
  it("pauses the running task with a reason, answers 503 instead of 500, a cancel waits for the lock, and the next task runs", async () => {
    t = await createTestApp({ LOOP_DB_BUSY_TIMEOUT_MS: "300" });
    const check = watchIds(t);
    const wd = t.workdir(scenario({ claude: [claude.slow(100, 30)], codex: [codex.review("STATUS: DONE")] }));
    const first = (await post(t, { workingDir: wd })).json().task as Task;
    await waitFor(
      () => t!.events(first.id).some((e) => e.type === "agent.output"),
      10_000,
      "claude printing",
    );

    const other = openDatabase(t.config.dbPath, { migrate: false }).sqlite;
    other.exec("BEGIN IMMEDIATE");
    let locked = true;
    const unlock = () => {
      if (!locked) return;
      locked = false;
      other.exec("COMMIT");
      other.close();
    };
    cleanups.push(unlock);
    // The server keeps answering while the lock is held (reads work in WAL mode; writes wait, then 503).
    const refused = await post(t, { workingDir: wd });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({
      code: "database_busy",
      message: expect.stringContaining("locked by another process"),
    });
    // The run sees the fault and stops its agent; its end is recorded once the lock is gone.
    await waitFor(() => t!.bus.fault?.kind === "busy", 10_000, "the fault");
    expect((await t.api({ url: `/api/tasks/${first.id}` })).statusCode).toBe(200);
    setTimeout(unlock, 500);
    const paused = await status(t, first.id, ["paused", "failed", "done", "cancelled"]);
    expect(paused).toMatchObject({
      status: "paused",
      statusReason: expect.stringMatching(
        /^The database .*loop\.db is locked by another process .*: interrupted during iteration 1 \(claude\); resume it once that is fixed$/,
      ),
    });
    expect(t.repos.iterations.get(first.id, 1)?.status).toBe("interrupted");

    const second = await post(t, {
      workingDir: t.workdir(scenario({ claude: [claude.ok("ok")], codex: [codex.review("STATUS: DONE")] })),
    });
    expect(second.statusCode, second.body).toBe(201);
    expect(await status(t, second.json().task.id, ["done", "failed"])).toMatchObject({ status: "done" });
    // The interrupted one resumes where it stopped.
    expect((await t.api({ method: "POST", url: `/api/tasks/${first.id}/resume` })).statusCode).toBe(200);
    expect(await status(t, first.id, ["done", "failed"])).toMatchObject({ status: "done" });
    check();
  });

  it("cancel during the lock is honoured once the database can be written", async () => {
    t = await createTestApp({ LOOP_DB_BUSY_TIMEOUT_MS: "200" });
    const wd = t.workdir(scenario({ claude: [claude.slow(200, 30)] }));
    const task = (await post(t, { workingDir: wd })).json().task as Task;
    await waitFor(() => t!.events(task.id).some((e) => e.type === "agent.output"), 10_000, "claude printing");
    const other = openDatabase(t.config.dbPath, { migrate: false }).sqlite;
    other.exec("BEGIN IMMEDIATE");
    const cancel = t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    await new Promise((r) => setTimeout(r, 600));
    other.exec("COMMIT");
    other.close();
    const r = await cancel;
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().task).toMatchObject({ status: "cancelled" });
  });
});

/** The messages the server logs at warn (the run's "could not record the run's end yet" among them). */
function warnings(app: TestApp): string[] {
  const seen: string[] = [];
  const warn = app.app.log.warn.bind(app.app.log);
  app.app.log.warn = ((o: unknown, m?: string) => {
    if (typeof m === "string") seen.push(m);
    return warn(o as object, m);
  }) as typeof warn;
  return seen;
}
const RETRYING_END = "could not record the run's end yet; retrying";

describe("a cancel while a storage fault's stop waits for the lock", () => {
  it("is answered 200 and the task ends cancelled, not paused", async () => {
    t = await createTestApp({ LOOP_DB_BUSY_TIMEOUT_MS: "200" });
    const warned = warnings(t);
    const wd = t.workdir(scenario({ claude: [claude.slow(400, 30)] }));
    const task = (await post(t, { workingDir: wd })).json().task as Task;
    await waitFor(() => t!.events(task.id).some((e) => e.type === "agent.output"), 10_000, "claude printing");
    const other = openDatabase(t.config.dbPath, { migrate: false }).sqlite;
    other.exec("BEGIN IMMEDIATE");
    let locked = true;
    const unlock = () => {
      if (!locked) return;
      locked = false;
      other.exec("COMMIT");
      other.close();
    };
    cleanups.push(unlock);
    // The lock stops the run (a fault), which has decided to pause and waits to write it.
    await waitFor(() => warned.includes(RETRYING_END), 15_000, "the run's end waiting for the lock");
    const pending = t.bus.pending;
    const cancel = t.api({ method: "POST", url: `/api/tasks/${task.id}/cancel` });
    // task.cancel_requested waits in the backlog with the other events: the run has the cancel.
    await waitFor(() => t!.bus.pending > pending, 5000, "the cancel to reach the run");
    unlock();
    const r = await cancel;
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().task).toMatchObject({
      status: "cancelled",
      statusReason: expect.stringMatching(
        /^Cancelled by the user \(The database .* is locked by another process/,
      ),
    });
    expect(t.repos.tasks.get(task.id)?.status).toBe("cancelled");
    expect(t.repos.iterations.get(task.id, 1)?.status).toBe("cancelled");
    await waitFor(() => t!.bus.pending === 0, 10_000, "the backlog stored");
    const finished = t.events(task.id).filter((e) => e.type === "task.finished");
    expect(finished.map((e) => e.data)).toEqual([expect.objectContaining({ status: "cancelled" })]);
    expect(t.events(task.id).some((e) => e.type === "task.interrupted")).toBe(false);
  });
});

describe("a full disk", () => {
  it("SQLITE_FULL from the database (max_page_count): the task pauses, POST is a 507, ids stay true, and work goes on once there is room", async () => {
    t = await createTestApp({ LOOP_DB_BUSY_TIMEOUT_MS: "300" });
    const check = watchIds(t);
    const wd = t.workdir(
      scenario({ claude: [claude.slow(400, 10), claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }),
    );
    const task = (await post(t, { workingDir: wd })).json().task as Task;
    await waitFor(() => t!.events(task.id).some((e) => e.type === "agent.output"), 10_000, "claude printing");
    const sqlite = t.repos.handle.sqlite;
    const pages = sqlite.pragma("page_count", { simple: true }) as number;
    sqlite.pragma(`max_page_count = ${pages}`);
    await waitFor(() => t!.bus.fault?.kind === "full", 10_000, "the fault");
    const refused = await post(t, { workingDir: wd });
    expect([507, 201]).toContain(refused.statusCode);
    if (refused.statusCode === 507) expect(refused.json().error.code).toBe("storage_full");
    sqlite.pragma("max_page_count = 1073741823");
    const paused = await status(t, task.id, ["paused", "failed", "done"]);
    expect(paused).toMatchObject({
      status: "paused",
      statusReason: expect.stringMatching(/^The disk holding .*loop\.db is full/),
    });
    expect((await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` })).statusCode).toBe(200);
    expect(await status(t, task.id, ["done", "failed"])).toMatchObject({ status: "done" });
    check();
  });

  it.skipIf(!canMount)(
    "ENOSPC on a real tmpfs holding the database and the artifacts",
    async () => {
      const fs = tmpfs(4096)!;
      t = await createTestApp({
        LOOP_DB_BUSY_TIMEOUT_MS: "300",
        LOOP_DB_PATH: join(fs, "loop.db"),
        LOOP_ARTIFACTS_DIR: join(fs, "loops"),
      });
      const check = watchIds(t);
      const wd = t.workdir(
        scenario({ claude: [claude.slow(2000, 10), claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }),
      );
      const task = (await post(t, { workingDir: wd })).json().task as Task;
      await waitFor(
        () => t!.events(task.id).some((e) => e.type === "agent.output"),
        10_000,
        "claude printing",
      );
      // The run's end must be attempted while the disk is full: that write once "succeeded" without
      // storing anything (UPDATE … RETURNING read with .get()), and the row said running for ever.
      const warned = warnings(t);
      // An empty WAL: every write from here needs new blocks (one that restarts at its start reuses them).
      t.repos.handle.sqlite.pragma("wal_checkpoint(TRUNCATE)");
      // Fill the disk to the last block.
      const filler = join(fs, "filler");
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=4k"], { stdio: "ignore" });
      } catch {
        // dd stops with ENOSPC: that is the point
      }
      await waitFor(() => t!.bus.fault?.kind === "full", 30_000, "the fault");
      const refused = await post(t, { workingDir: wd });
      expect(refused.statusCode).toBe(507);
      expect(refused.json().error).toMatchObject({
        code: "storage_full",
        message: expect.stringMatching(/is full/),
      });
      await waitFor(
        () => warned.includes(RETRYING_END) || !t!.orchestrator.queue().running,
        30_000,
        "the run to try to record its end",
      );
      expect(t.repos.tasks.get(task.id)?.status).toBe("running");
      // Nothing can be written while the disk is full, not even the pause: it is recorded once there
      // is room again, with the events that waited, and the task never says failed.
      rmSync(filler);
      const paused = await status(t, task.id, ["paused", "failed", "done"], 30_000);
      expect(paused.statusReason).toMatch(/^The disk holding .* is full \((SQLITE_FULL|ENOSPC)\)/);
      expect((await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` })).statusCode).toBe(200);
      expect(await status(t, task.id, ["done", "failed"], 30_000)).toMatchObject({ status: "done" });
      check();
    },
    90_000,
  );
});

describe("an unwritable artifacts tree", () => {
  it.skipIf(!canMount)(
    "a read-only artifacts folder pauses the task naming the folder; it resumes once writable",
    async () => {
      const fs = tmpfs(8192)!;
      t = await createTestApp({ LOOP_ARTIFACTS_DIR: join(fs, "loops") });
      const wd = t.workdir(
        scenario({ claude: [claude.slow(30, 30), claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }),
      );
      const task = (await post(t, { workingDir: wd })).json().task as Task;
      await waitFor(
        () => t!.events(task.id).some((e) => e.type === "agent.output"),
        10_000,
        "claude printing",
      );
      execFileSync("mount", ["-o", "remount,ro", fs]);
      const paused = await status(t, task.id, ["paused", "failed", "done"]);
      expect(paused.statusReason).toBe(
        `The artifacts folder ${join(fs, "loops")} cannot be written (EROFS: read-only or no permission): interrupted during iteration 1 (claude); resume it once that is fixed`,
      );
      expect((await post(t, { workingDir: wd })).statusCode).toBe(503);
      execFileSync("mount", ["-o", "remount,rw", fs]);
      expect((await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` })).statusCode).toBe(200);
      expect(await status(t, task.id, ["done", "failed"])).toMatchObject({ status: "done" });
    },
  );

  it("a task folder that became a file (ENOTDIR) pauses the task the same way, without a mount", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({ claude: [claude.slow(30, 30), claude.ok("ok")], codex: [codex.review("STATUS: DONE")] }),
    );
    const task = (await post(t, { workingDir: wd })).json().task as Task;
    await waitFor(() => t!.events(task.id).some((e) => e.type === "agent.output"), 10_000, "claude printing");
    const taskDir = join(t.config.artifactsDir, task.id);
    rmSync(taskDir, { recursive: true, force: true });
    writeFileSync(taskDir, "not a folder");
    const paused = await status(t, task.id, ["paused", "failed", "done"]);
    expect(paused.statusReason).toMatch(
      /^The artifacts folder .* could not be written \(ENOTDIR\): interrupted during iteration 1 \(claude\)/,
    );
    rmSync(taskDir);
    mkdirSync(taskDir);
    expect((await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` })).statusCode).toBe(200);
    expect(await status(t, task.id, ["done", "failed"])).toMatchObject({ status: "done" });
  });
});
