import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRunning } from "@loop/core";
import { type AgentRun, openRepositories } from "@loop/db";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./helpers.ts";
import { type ServerProcess, startServer } from "./process.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Two working directories, each with its own fake-CLI scenario. */
function setup(s: object): string[] {
  dir = mkdtempSync(join(tmpdir(), "loop-parallel-"));
  return ["one", "two"].map((name) => {
    const wd = join(dir, name);
    mkdirSync(wd);
    writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(s));
    return wd;
  });
}

function stored<T>(fn: (repos: ReturnType<typeof openRepositories>) => T): T {
  const repos = openRepositories(join(dir, "loop.db"));
  try {
    return fn(repos);
  } finally {
    repos.handle.close();
  }
}

const submit = async (server: ServerProcess, workingDir: string) =>
  (
    await server.api("/api/tasks", {
      method: "POST",
      body: { title: `in ${workingDir}`, prompt: "p", workingDir, maxIterations: 3 },
    })
  ).json.task as Task;

const settled = (server: ServerProcess, id: string) =>
  waitFor(
    async () => {
      const t = (await server.api(`/api/tasks/${id}`)).json.task as Task;
      return ["done", "failed", "needs_attention", "cancelled"].includes(t.status) ? t : undefined;
    },
    30_000,
    `task ${id} to end`,
  );

const PARALLEL = { LOOP_MAX_PARALLEL: "2" };

/** The leaders' pids once two agent runs are open and `ready` holds for both. */
const bothOpenRuns = (ready: (run: AgentRun) => unknown, timeoutMs: number, what: string) =>
  waitFor(
    () => {
      const open = stored((r) => r.agentRuns.listOpen());
      return open.length === 2 && open.every(ready) ? open.map((r) => r.pid!) : undefined;
    },
    timeoutMs,
    what,
  );

describe("LOOP_MAX_PARALLEL=2: a crash or a stop with two tasks running", () => {
  it("kill -9: the next start stops both runs' processes, pauses both; each resumes to done", async () => {
    const wds = setup(
      scenario({
        // A wedged claude (ignores SIGINT) with a tool process in its own session, then a good run.
        claude: [claude.grandchildThenHang("gc.pid", true), claude.ok("finished after the restart")],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const first = await startServer(dir, PARALLEL);
    const tasks = [await submit(first, wds[0]!), await submit(first, wds[1]!)];
    const gcPids = await Promise.all(
      wds.map((wd) =>
        waitFor(
          () => existsSync(join(wd, "gc.pid")) && Number(readFileSync(join(wd, "gc.pid"), "utf8")),
          15_000,
          "grandchild",
        ),
      ),
    );
    // Both runs are recorded with their leaders' start times: the next server can find them.
    const leaders = await bothOpenRuns((r) => r.procStart, 10_000, "both runs' records");
    const queue = (await first.api("/api/queue")).json;
    expect(queue.runningTasks.map((t: Task) => t.id).sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(queue.tasks).toEqual([]);

    first.child.kill("SIGKILL");
    await first.exited;
    for (const pid of [...gcPids, ...leaders]) expect(isRunning(pid)).toBe(true);

    const second = await startServer(dir, PARALLEL);
    // The start-up sweep covers every run: nothing of either is left.
    for (const pid of [...gcPids, ...leaders]) expect(isRunning(pid)).toBe(false);
    for (const task of tasks) {
      const paused = (await second.api(`/api/tasks/${task.id}`)).json.task as Task;
      expect(paused).toMatchObject({
        status: "paused",
        statusReason:
          "interrupted by a crash of the server during iteration 1 (claude); resume it to continue from there",
      });
    }
    // Each resumes on its own: the first one is done before the second is resumed.
    expect((await second.api(`/api/tasks/${tasks[0]!.id}/resume`, { method: "POST", body: {} })).status).toBe(
      200,
    );
    expect((await settled(second, tasks[0]!.id)).status).toBe("done");
    expect(((await second.api(`/api/tasks/${tasks[1]!.id}`)).json.task as Task).status).toBe("paused");
    expect((await second.api(`/api/tasks/${tasks[1]!.id}/resume`, { method: "POST", body: {} })).status).toBe(
      200,
    );
    expect((await settled(second, tasks[1]!.id)).status).toBe("done");
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);

  it("SIGTERM: both running tasks are paused, the server exits 0, no agent is left", async () => {
    const wds = setup(scenario({ claude: [claude.hang()], codex: [codex.review("STATUS: DONE")] }));
    const server = await startServer(dir, PARALLEL);
    const tasks = [await submit(server, wds[0]!), await submit(server, wds[1]!)];
    const leaders = await bothOpenRuns((r) => r.pid, 15_000, "both agents running");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    for (const pid of leaders) expect(isRunning(pid)).toBe(false);
    const statuses = stored((r) => tasks.map((t) => r.tasks.get(t.id)!.status));
    expect(statuses).toEqual(["paused", "paused"]);
    expect(stored((r) => r.agentRuns.listOpen())).toEqual([]);
  }, 60_000);
});
