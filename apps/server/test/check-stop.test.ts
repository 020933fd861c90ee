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
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./helpers.ts";
import { type ServerProcess, startServer } from "./process.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const calls = (wd: string, cli: string) =>
  existsSync(join(wd, ".fake-state"))
    ? readdirSync(join(wd, ".fake-state")).filter((f) => f.startsWith(`${cli}-call-`)).length
    : 0;

const settled = (server: ServerProcess, id: string, statuses: string[]) =>
  waitFor(
    async () => {
      const r = await server.api(`/api/tasks/${id}`);
      return statuses.includes(r.json.task.status) ? (r.json.task as Task) : undefined;
    },
    60_000,
    `task to be ${statuses.join("/")}`,
  );

describe("a server stop during loop's check (a real server process)", () => {
  it("pauses the task with nothing left running; after a restart, resume reruns only the check", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-check-stop-"));
    const wd = join(dir, "work");
    mkdirSync(wd);
    writeFileSync(
      join(wd, ".fake-scenario.json"),
      JSON.stringify(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] })),
    );
    // The check waits for a file the test writes after the restart; it leaves a grandchild too.
    const check = "sleep 300 & echo $! > child.pid; while [ ! -f go ]; do sleep 0.05; done; echo passed";
    const first = await startServer(dir);
    const filed = await first.api("/api/tasks", {
      method: "POST",
      body: { title: "t", prompt: "p", workingDir: wd, checkCommand: check },
    });
    expect(filed.status).toBe(201);
    const id = filed.json.task.id as string;
    const child = await waitFor(
      () => existsSync(join(wd, "child.pid")) && Number(readFileSync(join(wd, "child.pid"), "utf8")),
      30_000,
      "the check's grandchild",
    );
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(isRunning(child)).toBe(false);
    const repos = openRepositories(join(dir, "loop.db"));
    try {
      expect(repos.tasks.get(id)).toMatchObject({
        status: "paused",
        statusReason:
          "interrupted by a server stop during the check of iteration 1; resume it to continue from there",
      });
      expect(repos.iterations.get(id, 1)).toMatchObject({ status: "interrupted", check: null });
    } finally {
      repos.handle.close();
    }

    const second = await startServer(dir);
    writeFileSync(join(wd, "go"), "");
    expect((await second.api(`/api/tasks/${id}/resume`, { method: "POST" })).status).toBe(200);
    const done = await settled(second, id, ["done", "failed", "needs_attention"]);
    expect(done.status).toBe("done");
    expect(calls(wd, "claude")).toBe(1);
    expect(calls(wd, "codex")).toBe(1);
    const detail = await second.api(`/api/tasks/${id}`);
    expect(detail.json.iterations[0].check).toMatchObject({ ok: true, exitCode: 0 });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("kill -9 during the check: the next start stops the check's processes and names the check as where it stopped", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-check-kill-"));
    const wd = join(dir, "work");
    mkdirSync(wd);
    writeFileSync(
      join(wd, ".fake-scenario.json"),
      JSON.stringify(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] })),
    );
    const check = "setsid sleep 300 & echo $! > away.pid; sleep 300";
    const first = await startServer(dir);
    const filed = await first.api("/api/tasks", {
      method: "POST",
      body: { title: "t", prompt: "p", workingDir: wd, checkCommand: check },
    });
    const id = filed.json.task.id as string;
    const away = await waitFor(
      () => existsSync(join(wd, "away.pid")) && Number(readFileSync(join(wd, "away.pid"), "utf8")),
      30_000,
      "the check's process in its own session",
    );
    first.child.kill("SIGKILL");
    await first.exited;
    expect(isRunning(away)).toBe(true);
    const second = await startServer(dir);
    const task = await settled(second, id, ["paused"]);
    expect(task.statusReason).toBe(
      "interrupted by a crash of the server during the check of iteration 1; resume it to continue from there",
    );
    await waitFor(() => !isRunning(away), 10_000, "the check's process to be stopped");
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});
