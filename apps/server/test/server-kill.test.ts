import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning } from "@loop/core";
import { openRepositories } from "@loop/db";
import type { LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_TOKEN, waitFor } from "./helpers.ts";
import { type ServerProcess, startServer } from "./process.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { parseFrames } from "./sse.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(s: object): string {
  dir = mkdtempSync(join(tmpdir(), "loop-kill-"));
  const wd = join(dir, "work");
  mkdirSync(wd);
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(s));
  return wd;
}

const calls = (wd: string, cli: string) =>
  existsSync(join(wd, ".fake-state"))
    ? readdirSync(join(wd, ".fake-state")).filter((f) => f.startsWith(`${cli}-call-`)).length
    : 0;

/** What the database holds, read by a connection of its own (the server may be dead). */
function stored<T>(fn: (repos: ReturnType<typeof openRepositories>) => T): T {
  const repos = openRepositories(join(dir, "loop.db"));
  try {
    return fn(repos);
  } finally {
    repos.handle.close();
  }
}

/** Collects a task's event stream as it arrives (until the server goes away). */
function follow(server: ServerProcess, taskId: string) {
  let text = "";
  const done = fetch(`${server.base}/api/tasks/${taskId}/events`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  })
    .then(async (res) => {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
    })
    .catch(() => {});
  return { events: () => parseFrames(text).events, done };
}

const settled = (server: ServerProcess, id: string, statuses: string[]) =>
  waitFor(
    async () => {
      const r = await server.api(`/api/tasks/${id}`);
      return statuses.includes(r.json.task.status) ? (r.json.task as Task) : undefined;
    },
    30_000,
    `task to be ${statuses.join("/")}`,
  );

describe("kill -9 of the server while an agent with grandchildren in their own session runs", () => {
  it("the next start stops every process of the first run, pauses the task, and resume runs it to done", async () => {
    const wd = setup(
      scenario({
        // A wedged claude (ignores SIGINT) whose tool process lives in its own session.
        claude: [claude.grandchildThenHang("gc.pid", true), claude.ok("finished after the restart")],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const first = await startServer(dir);
    const created = await first.api("/api/tasks", {
      method: "POST",
      body: { title: "drill", prompt: "p", workingDir: wd, maxIterations: 3 },
    });
    const task = created.json.task as Task;
    const live = follow(first, task.id);
    const gcPid = await waitFor(
      () => existsSync(join(wd, "gc.pid")) && Number(readFileSync(join(wd, "gc.pid"), "utf8")),
      15_000,
      "grandchild",
    );
    const agentPid = await waitFor(
      () => live.events().find((e) => e.type === "agent.started")?.data as { pid: number } | undefined,
      10_000,
      "agent.started",
    ).then((d) => d.pid);
    // Its start time is recorded, so the next server can tell it from a reused pid.
    await waitFor(() => stored((r) => r.agentRuns.listOpen()[0]?.procStart), 10_000, "the run's record");

    first.child.kill("SIGKILL");
    await first.exited;
    await live.done;
    const seen = live.events();
    // The drill is real: the agent and its grandchild outlived the server.
    expect(isRunning(agentPid)).toBe(true);
    expect(isRunning(gcPid)).toBe(true);
    expect(stored((r) => r.tasks.get(task.id)?.status)).toBe("running");

    const restartedAt = Date.now();
    const second = await startServer(dir);
    // Before the server answers at all, the sweep is done: nothing of the first run is left.
    expect(isRunning(agentPid)).toBe(false);
    expect(isRunning(gcPid)).toBe(false);
    const cleanMs = Date.now() - restartedAt;
    expect(cleanMs).toBeLessThan(10_000);
    process.stdout.write(
      `kill -9 drill: 2 processes left by the dead server, gone ${cleanMs} ms after the restart\n`,
    );

    const paused = (await second.api(`/api/tasks/${task.id}`)).json.task as Task;
    expect(paused).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a crash of the server during iteration 1 (claude); resume it to continue from there",
    });
    const r = await second.api(`/api/tasks/${task.id}/resume`, { method: "POST", body: {} });
    expect(r.status).toBe(200);
    const done = await settled(second, task.id, ["done", "failed", "needs_attention"]);
    expect(done.status).toBe("done");
    expect(calls(wd, "claude")).toBe(2);

    const all = stored((repos) => repos.events.listAfter({ afterId: 0, taskId: task.id, limit: 100_000 }));
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // Every event a client was shown before the kill is still there, unchanged.
    const byId = new Map(all.map((e) => [e.id, e]));
    for (const e of seen) expect(byId.get(e.id)).toEqual(e);
    const warning = all.find(
      (e: LoopEvent) =>
        e.type === "task.warning" &&
        /left running by an earlier server/.test((e.data as { message: string }).message),
    );
    expect(warning).toBeDefined();
    // Every process it stopped is counted, not only the recorded leader.
    const message = (warning!.data as { message: string }).message;
    expect(message).toMatch(/^Stopped 2 processes left running by an earlier server \(pid \d+, \d+\)$/);
    expect(message).toContain(String(agentPid));
    expect(message).toContain(String(gcPid));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);
});

describe("kill -9 after Codex's review is stored, before the task row says how the task ended", () => {
  it.each([
    {
      name: "DONE → done",
      maxIterations: 3,
      review: "STATUS: DONE",
      status: "done",
      reason: "Codex reported STATUS: DONE in iteration 1",
    },
    {
      name: "the cap → needs_attention",
      maxIterations: 1,
      review: "STATUS: ISSUES_FOUND\n- the flag is not parsed",
      status: "needs_attention",
      reason: "Reached the iteration cap (1) with issues remaining",
    },
  ])(
    "$name after the restart, with result.md, and retry and delete work",
    async (c) => {
      const wd = setup(scenario({ claude: [claude.ok("the work")], codex: [codex.review(c.review)] }));
      const first = await startServer(dir);
      // The fault hook: the row's final write fails (as if the process died right there); the review's
      // transaction before it is stored. Then the server is killed with the row still saying running.
      stored((r) =>
        r.handle.sqlite.exec(
          "CREATE TRIGGER crash_here BEFORE UPDATE OF status ON tasks WHEN NEW.status IN ('done', 'needs_attention') BEGIN SELECT RAISE(ABORT, 'the server died here'); END",
        ),
      );
      const task = (
        await first.api("/api/tasks", {
          method: "POST",
          body: { title: "t", prompt: "p", workingDir: wd, maxIterations: c.maxIterations },
        })
      ).json.task as Task;
      await waitFor(
        () => first.out.stdout.includes("could not record the end of the run"),
        20_000,
        "the end",
      );
      first.child.kill("SIGKILL");
      await first.exited;
      expect(stored((r) => [r.tasks.get(task.id)?.status, r.iterations.get(task.id, 1)?.status])).toEqual([
        "running",
        "done",
      ]);
      stored((r) => r.handle.sqlite.exec("DROP TRIGGER crash_here"));
      const result = join(dir, "loops", task.id, "result.md");
      rmSync(result, { force: true });

      const second = await startServer(dir);
      const after = (await second.api(`/api/tasks/${task.id}`)).json.task as Task;
      expect(after).toMatchObject({
        status: c.status,
        statusReason: c.reason,
        finishedAt: expect.any(String),
      });
      expect(readFileSync(result, "utf8")).toContain(`- Status: **${c.status}**`);
      const events = stored((r) => r.events.listAfter({ afterId: 0, taskId: task.id, limit: 10_000 }));
      const finished = events.filter((e) => e.type === "task.finished");
      expect(finished.map((e) => e.data)).toEqual([{ status: c.status, reason: c.reason }]);
      expect(events.some((e) => e.type === "task.interrupted")).toBe(false);
      expect(
        events.some(
          (e) =>
            e.type === "task.warning" &&
            /before the task's end was/.test((e.data as { message: string }).message),
        ),
      ).toBe(true);
      // Its way out: retry starts over, delete removes it.
      await second.api("/api/queue/pause", { method: "POST" });
      expect((await second.api(`/api/tasks/${task.id}/retry`, { method: "POST" })).status).toBe(201);
      expect((await second.api(`/api/tasks/${task.id}`, { method: "DELETE" })).status).toBe(200);
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    },
    60_000,
  );
});

describe("SIGTERM while only codex is unfinished", () => {
  it("pauses the task and exits 0; after a restart, resume runs only codex", async () => {
    const wd = setup(
      scenario({ claude: [claude.ok("the work")], codex: [codex.hang(), codex.review("STATUS: DONE")] }),
    );
    const first = await startServer(dir);
    const task = (
      await first.api("/api/tasks", { method: "POST", body: { title: "t", prompt: "p", workingDir: wd } })
    ).json.task as Task;
    await waitFor(() => calls(wd, "codex") === 1, 15_000, "codex started");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(stored((r) => r.tasks.get(task.id))).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a server stop during iteration 1 (codex); resume it to continue from there",
    });
    expect(stored((r) => r.agentRuns.listOpen())).toEqual([]);

    const second = await startServer(dir);
    expect((await second.api(`/api/tasks/${task.id}/resume`, { method: "POST" })).status).toBe(200);
    expect((await settled(second, task.id, ["done", "failed", "needs_attention"])).status).toBe("done");
    expect([calls(wd, "claude"), calls(wd, "codex")]).toEqual([1, 2]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 60_000);
});

describe("one server per database", () => {
  it("a second server on the same LOOP_DB_PATH refuses to start, naming the first one's pid", async () => {
    setup(scenario({}));
    const first = await startServer(dir);
    const second = startServer(dir);
    await expect(second).rejects.toThrow(new RegExp(`another loop server \\(pid ${first.child.pid}`));
    // The first one goes on serving.
    expect((await first.api("/api/health")).status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    // Once it is gone, a new server starts on the same files.
    const third = await startServer(dir);
    expect((await third.api("/api/health")).status).toBe(200);
  }, 60_000);
});
