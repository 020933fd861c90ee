import { createServer } from "node:http";
import { ApiError, createApiClient } from "@loop/shared/api-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { createTestApp, TEST_TOKEN, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { listen } from "./sse.ts";

/** The shared client (the dashboard's and `pnpm loop`'s) against a real server on port 0. */
async function served(env: Record<string, string> = {}) {
  const t = await createTestApp(env);
  onTestFinished(() => t.close());
  const baseUrl = await listen(t.app);
  const seen: number[] = [];
  const api = createApiClient({ baseUrl, token: TEST_TOKEN, onResponse: (r) => seen.push(r.status) });
  return { t, baseUrl, api, seen };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );

describe("shared API client", () => {
  it("files a task, follows it to the end, reads its artifacts, deletes it", async () => {
    const { t, api } = await served();
    const wd = t.workdir(scenario({ claude: [claude.ok("did it")], codex: [codex.review("STATUS: DONE")] }));
    const { task } = await api.tasks.create({
      title: "via client",
      prompt: "p",
      workingDir: wd,
      maxIterations: 2,
    });
    expect(task).toMatchObject({ title: "via client", status: "queued", maxIterations: 2 });
    await taskEnded(t, task.id);

    const detail = await api.tasks.get(task.id);
    expect(detail.task.status).toBe("done");
    expect(detail.iterations.map((i) => i.verdict)).toEqual(["DONE"]);
    expect(detail.lastEventId).toBeGreaterThan(0);

    const byStatus = await api.tasks.list({ status: "done", limit: 5 });
    expect(byStatus.tasks.map((x) => x.id)).toEqual([task.id]);
    expect((await api.tasks.list({ q: "nothing like it" })).tasks).toEqual([]);
    expect((await api.tasks.list({ q: "VIA" })).tasks.map((x) => x.id)).toEqual([task.id]);

    const { artifacts } = await api.tasks.artifacts(task.id);
    expect(artifacts.map((a) => a.name)).toContain("task.md");
    const md = await api.tasks.artifact(task.id, "task.md");
    expect(typeof md).toBe("string");
    expect(md).toContain("via client");
    // Not a git repository: its changes are a list of files, as data.
    const { changes } = await api.tasks.iterationChanges(task.id, 1);
    expect(changes).toMatchObject({ title: "Changes in iteration 1", kind: "files" });
    expect(changes.files.every((f) => f.patch === null && f.added === null)).toBe(true);
    expect((await api.tasks.changes(task.id)).changes.title).toBe("Changes over the whole task");
    const none = await failure(api.tasks.iterationChanges(task.id, 2));
    expect(none).toMatchObject({ status: 404, code: "changes_not_found" });

    expect(await api.tasks.delete(task.id)).toEqual({ deleted: task.id });
    const gone = await failure(api.tasks.get(task.id));
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 404, code: "task_not_found", path: `/api/tasks/${task.id}` });
  });

  it("queue: pause, move, resume; cancel and resume a task", async () => {
    const { t, api } = await served();
    expect(await api.queue.pause()).toMatchObject({ paused: true, tasks: [], running: null });
    const file = (title: string) =>
      api.tasks.create({ title, prompt: "p", workingDir: t.workdir(), maxIterations: 1 }).then((r) => r.task);
    const a = await file("a");
    const b = await file("b");
    const moved = await api.tasks.move(b.id, "top");
    expect(moved.tasks.map((x) => x.title)).toEqual(["b", "a"]);
    expect((await api.queue.get()).tasks.map((x) => x.id)).toEqual([b.id, a.id]);

    const cancelled = await api.tasks.cancel(a.id);
    expect(cancelled.task.status).toBe("cancelled");
    const resumed = await api.tasks.resume(a.id, { extraIterations: 2 });
    expect(resumed.task).toMatchObject({ id: a.id, status: "queued", maxIterations: 3 });
    expect((await api.tasks.cancel(b.id)).task.status).toBe("cancelled");
    expect((await api.queue.get()).tasks.map((x) => x.id)).toEqual([a.id]);
    expect((await api.tasks.cancel(a.id)).task.status).toBe("cancelled");
    expect((await api.queue.resume()).paused).toBe(false);
  });

  it("health and limits", async () => {
    const { api } = await served({ LOOP_MAX_ITERATIONS: "7" });
    const health = await api.health();
    expect(health).toMatchObject({
      ok: true,
      defaults: { maxIterations: 7 },
      agents: { claude: { found: true } },
    });
    expect(await api.limits()).toEqual({ windows: [], pauseAtUtilization: null });
  });

  it("a refused call is an ApiError with the server's code and message, naming the field", async () => {
    const { api, seen } = await served();
    const e = await failure(api.tasks.create({ title: "", prompt: "p", workingDir: "relative" }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({
      status: 400,
      code: "invalid_body",
      message: "title: must not be empty; workingDir: must be an absolute path (starting with /)",
      path: "/api/tasks",
    });
    expect(seen.at(-1)).toBe(400);
    const bad = await failure(api.tasks.resume("nope", { extraIterations: 0 }));
    expect(bad).toMatchObject({
      status: 400,
      code: "invalid_body",
      message: "extraIterations: must be at least 1",
    });
  });

  it("a wrong token is a 401 the caller sees; toError turns failures into the caller's errors", async () => {
    const { baseUrl } = await served();
    const seen: number[] = [];
    const wrong = createApiClient({ baseUrl, token: "wrong", onResponse: (r) => seen.push(r.status) });
    expect(await failure(wrong.queue.get())).toMatchObject({ status: 401, code: "unauthorized" });
    expect(seen).toEqual([401]);

    class Mine extends Error {}
    const mapped = createApiClient({
      baseUrl,
      token: "wrong",
      toError: (x) => new Mine(`${x.status} ${x.code}`),
    });
    const m = await failure(mapped.health());
    expect(m).toBeInstanceOf(Mine);
    expect((m as Error).message).toBe("401 unauthorized");
  });

  it("no server: network_error (status 0) with the cause; not loop's error shape: http_error", async () => {
    // A port that was just free: nothing listens there any more.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const port = (gone.address() as { port: number }).port;
    await new Promise<void>((r) => gone.close(() => r()));
    const down = createApiClient({ baseUrl: `http://127.0.0.1:${port}` });
    const e = await failure(down.health());
    expect(e).toMatchObject({ status: 0, code: "network_error", path: "/api/health" });
    expect((e as Error).message).toBe(
      `Cannot reach the loop server at http://127.0.0.1:${port}. Is it still running?`,
    );
    expect((e as Error).cause).toBeInstanceOf(Error);

    const proxy = createServer((_req, res) =>
      res.writeHead(502, { "content-type": "text/html" }).end("<h1>bad</h1>"),
    );
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    onTestFinished(() => new Promise<void>((r) => proxy.close(() => r())));
    const other = createApiClient({
      baseUrl: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    });
    expect(await failure(other.queue.get())).toMatchObject({
      status: 502,
      code: "http_error",
      message: "502 Bad Gateway",
      path: "/api/queue",
    });
  });
});
