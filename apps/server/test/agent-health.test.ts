import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HealthResponse, Task } from "@loop/shared";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { createTestApp, FAKE_CODEX, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
/** Where the test puts (and removes) its codex: a link to the fake. */
let binDir: string;
afterEach(async () => {
  delete process.env.FAKE_LOGGED_IN;
  await t?.close();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});
const movableCodex = () => {
  binDir = mkdtempSync(join(tmpdir(), "loop-bin-"));
  return join(binDir, "codex");
};

const post = (url: string, payload: object = {}) =>
  t.api({ method: "POST", url, payload, headers: { "content-type": "application/json" } });
const health = async () => (await t.api({ url: "/api/health" })).json() as HealthResponse;
const taskOf = (id: string) => t.repos.tasks.get(id) as Task;
const finished = (id: string) =>
  waitFor(
    () => (["done", "failed", "needs_attention"].includes(taskOf(id).status) ? taskOf(id) : undefined),
    30_000,
    `task ${id} to finish`,
  );

describe("agent CLI health", () => {
  it("a missing codex: health says so, POST /api/tasks, retry and resume answer 503 agent_unavailable; once installed, tasks are accepted again", async () => {
    const bin = movableCodex();
    {
      t = await createTestApp({ LOOP_CODEX_BIN: bin, LOOP_HEALTH_INTERVAL_MS: "100" }, { realProbe: true });
      const h = await health();
      expect(h.agents.codex).toMatchObject({ found: false, status: "unavailable" });
      expect(h.agents.claude).toMatchObject({ found: true, status: "ok" });
      const wd = t.workdir(
        scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }),
      );
      const refused = await post("/api/tasks", { title: "x", prompt: "y", workingDir: wd });
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe("agent_unavailable");
      expect(refused.json().error.message).toContain(`codex not found at ${bin}`);
      // Nothing was queued and nothing ran.
      expect(t.repos.tasks.list({ limit: 10 }).tasks).toHaveLength(0);
      expect(existsSync(join(wd, ".fake-state"))).toBe(false);

      symlinkSync(FAKE_CODEX, bin);
      const accepted = await post("/api/tasks", { title: "x", prompt: "y", workingDir: wd });
      expect(accepted.statusCode, accepted.body).toBe(201);
      const done = await finished(accepted.json().task.id);
      expect(done.status).toBe("done");

      // Retry and resume refuse too while the CLI is gone.
      rmSync(bin);
      await waitFor(async () => (await health()).agents.codex.status === "unavailable", 10_000, "codex gone");
      const retry = await post(`/api/tasks/${done.id}/retry`);
      expect([retry.statusCode, retry.json().error.code]).toEqual([503, "agent_unavailable"]);
      const resume = await post(`/api/tasks/${done.id}/resume`, { extraIterations: 1 });
      expect([resume.statusCode, resume.json().error.code]).toEqual([503, "agent_unavailable"]);
    }
  });

  it("the worker holds a queued task while codex is missing (claude does not run), says why, and runs it once codex is back, without a restart", async () => {
    const bin = movableCodex();
    symlinkSync(FAKE_CODEX, bin);
    t = await createTestApp({ LOOP_CODEX_BIN: bin, LOOP_HEALTH_INTERVAL_MS: "100" }, { realProbe: true });
    expect((await post("/api/queue/pause")).statusCode).toBe(200);
    const wd = t.workdir(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }));
    const filed = await post("/api/tasks", { title: "held", prompt: "y", workingDir: wd });
    expect(filed.statusCode, filed.body).toBe(201);
    const id = filed.json().task.id as string;

    rmSync(bin);
    await waitFor(async () => (await health()).agents.codex.status === "unavailable", 10_000, "codex gone");
    await post("/api/queue/resume");
    const waiting = await waitFor(
      async () => (await t.api({ url: "/api/queue" })).json().waiting as string | undefined,
      10_000,
      "the queue to say it waits",
    );
    expect(waiting).toBe(`waiting: codex not found at ${bin} (install it or set LOOP_CODEX_BIN)`);
    expect((await health()).queue.waiting).toBe(waiting);
    // Checked again a few times (interval 100 ms): still queued, and claude never started.
    const probes = Date.now();
    await waitFor(() => Date.now() - probes > 500, 5000);
    expect(taskOf(id).status).toBe("queued");
    expect(existsSync(join(wd, ".fake-state", "claude-1.json"))).toBe(false);

    symlinkSync(FAKE_CODEX, bin);
    expect((await finished(id)).status).toBe("done");
    expect((await t.api({ url: "/api/queue" })).json().waiting).toBeUndefined();
  });

  it("not logged in is a warning in the CLI's own words, and tasks run", async () => {
    process.env.FAKE_LOGGED_IN = "0";
    // The worker process may run other files after this one (isolate: false): leave its env as found.
    onTestFinished(() => {
      delete process.env.FAKE_LOGGED_IN;
    });
    t = await createTestApp({}, { realProbe: true });
    const h = await health();
    expect(h.agents.codex).toMatchObject({ found: true, loggedIn: false, status: "warning" });
    expect(h.agents.codex.error).toContain('codex login status: "Not logged in"');
    expect(h.agents.claude).toMatchObject({ found: true, loggedIn: false, status: "warning" });
    expect(h.agents.claude.error).toContain("authMethod: none");
    const wd = t.workdir(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }));
    const filed = await post("/api/tasks", { title: "x", prompt: "y", workingDir: wd });
    expect(filed.statusCode, filed.body).toBe(201);
    expect((await finished(filed.json().task.id)).status).toBe("done");
  });
});
