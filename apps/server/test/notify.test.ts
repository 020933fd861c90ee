import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
import { startServer } from "./process.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp;
afterEach(() => t?.close());

interface Received {
  body: Record<string, unknown>;
  contentType: string | undefined;
}

/** A real HTTP receiver on a free port; `answer` decides each request's fate (by its 1-based number). */
async function receiver(answer: (n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      received.push({ body: JSON.parse(raw), contentType: req.headers["content-type"] });
      open.add(res);
      res.on("close", () => open.delete(res));
      answer(received.length, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?k=secret`,
    received,
    open,
    server,
  };
}

async function file(body: Record<string, unknown>): Promise<Task> {
  const r = await t.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add a flag", prompt: "Add a --json flag", ...body },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().task;
}

const oneDone = () =>
  scenario({ claude: [claude.ok("Did it")], codex: [codex.review("STATUS: DONE\nGood")] });
const warnings = (id: string) =>
  t.events(id).flatMap((e) => (e.type === "task.warning" ? [e.data.message] : []));

describe("LOOP_NOTIFY_URL", () => {
  it("POSTs {text, task, url} as JSON when a task ends, and when it ends needing attention", async () => {
    const hook = await receiver((_, res) => res.writeHead(204).end());
    t = await createTestApp({ LOOP_NOTIFY_URL: hook.url });
    const done = await file({ workingDir: t.workdir(oneDone()) });
    await taskEnded(t, done.id);
    await waitFor(() => hook.received.length === 1, 5000, "the notification");
    expect(hook.received[0]!.contentType).toMatch(/^application\/json/);
    expect(hook.received[0]!.body).toEqual({
      text: 'loop: "Add a flag" is done — Codex reported STATUS: DONE in iteration 1',
      task: {
        id: done.id,
        title: "Add a flag",
        status: "done",
        statusReason: "Codex reported STATUS: DONE in iteration 1",
      },
      url: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/tasks/${done.id}$`)),
    });

    const capped = await file({
      title: "Cap it",
      maxIterations: 1,
      workingDir: t.workdir(
        scenario({
          claude: [claude.ok("Tried")],
          codex: [codex.review("STATUS: ISSUES_FOUND\n- still broken")],
        }),
      ),
    });
    await taskEnded(t, capped.id);
    await waitFor(() => hook.received.length === 2, 5000, "the second notification");
    expect(hook.received[1]!.body).toMatchObject({
      text: expect.stringMatching(/^loop: "Cap it" needs your attention — Reached the iteration cap \(1\)/),
      task: { id: capped.id, status: "needs_attention" },
    });
    expect(warnings(done.id)).toEqual([]);
  });

  it("POSTs when a task pauses at a usage limit (status paused, the reason saying when it resumes)", async () => {
    const hook = await receiver((_, res) => res.writeHead(200).end());
    t = await createTestApp({ LOOP_NOTIFY_URL: hook.url });
    const task = await file({
      workingDir: t.workdir(scenario({ claude: [claude.usageLimit(3600)], codex: [] })),
    });
    await waitFor(() => hook.received.length === 1, 15_000, "the pause notification");
    expect(hook.received[0]!.body).toMatchObject({
      text: expect.stringMatching(/^loop: "Add a flag" is paused — .*resumes by itself at \d{4}-/),
      task: { id: task.id, status: "paused", statusReason: expect.stringMatching(/usage limit/i) },
    });
  });

  it("tries once more after a failed POST, and a second success needs no warning", async () => {
    const hook = await receiver((n, res) => res.writeHead(n === 1 ? 500 : 200).end("ok"));
    t = await createTestApp({ LOOP_NOTIFY_URL: hook.url }, { notifyRetryDelayMs: 20 });
    const task = await file({ workingDir: t.workdir(oneDone()) });
    await taskEnded(t, task.id);
    await waitFor(() => hook.received.length === 2, 5000, "the retry");
    expect(hook.received[1]!.body).toEqual(hook.received[0]!.body);
    expect(warnings(task.id)).toEqual([]);
    // No third attempt.
    await t.app.close();
    expect(hook.received).toHaveLength(2);
  });

  it("a receiver that never answers: timeout, one retry, then a warning; the task stays done", async () => {
    const hook = await receiver(() => undefined);
    t = await createTestApp(
      { LOOP_NOTIFY_URL: hook.url, LOOP_NOTIFY_TIMEOUT_MS: "150" },
      { notifyRetryDelayMs: 20 },
    );
    const task = await file({ workingDir: t.workdir(oneDone()) });
    await taskEnded(t, task.id);
    const [message] = await waitFor(
      () => warnings(task.id).length > 0 && warnings(task.id),
      5000,
      "the warning",
    );
    expect(message).toBe(
      `notification to ${new URL(hook.url).origin} failed twice (no answer within 150 ms; then no answer within 150 ms); the task is not affected`,
    );
    expect(message).not.toContain("secret");
    expect(hook.received).toHaveLength(2);
    expect(t.repos.tasks.get(task.id)?.status).toBe("done");
  });

  it("an unreachable receiver gets a warning too", async () => {
    // A port nobody listens on: take a free one and close it.
    const gone = await receiver(() => undefined);
    const url = gone.url;
    await new Promise((r) => gone.server.close(r));
    t = await createTestApp({ LOOP_NOTIFY_URL: url }, { notifyRetryDelayMs: 20 });
    const task = await file({ workingDir: t.workdir(oneDone()) });
    await taskEnded(t, task.id);
    const [message] = await waitFor(
      () => warnings(task.id).length > 0 && warnings(task.id),
      5000,
      "the warning",
    );
    expect(message).toMatch(
      /^notification to http:\/\/127\.0\.0\.1:\d+ failed twice \(.*ECONNREFUSED.*; then .*ECONNREFUSED/,
    );
  });

  it("never holds the worker: the next task runs and ends while the first notification is still unanswered", async () => {
    const hook = await receiver(() => undefined);
    t = await createTestApp({ LOOP_NOTIFY_URL: hook.url, LOOP_NOTIFY_TIMEOUT_MS: "60000" });
    const first = await file({ workingDir: t.workdir(oneDone()) });
    const second = await file({ title: "Second", workingDir: t.workdir(oneDone()) });
    await taskEnded(t, first.id);
    await taskEnded(t, second.id);
    await waitFor(() => hook.received.length === 2, 5000, "both notifications");
    // Both POSTs are still waiting for an answer: neither task waited on them.
    expect(hook.open.size).toBe(2);
    expect(hook.received.map((r) => (r.body.task as { id: string }).id)).toEqual([first.id, second.id]);
  });

  it("the real server process reads LOOP_NOTIFY_URL and posts to it; a failing receiver is a warning line in its log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-notify-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const hook = await receiver((_, res) => res.writeHead(503).end());
    const s = await startServer(dir, { LOOP_NOTIFY_URL: hook.url, LOOP_NOTIFY_TIMEOUT_MS: "500" });
    const wd = join(dir, "work");
    mkdirSync(wd);
    writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(oneDone()));
    const r = await s.api("/api/tasks", {
      method: "POST",
      body: { title: "From the process", prompt: "p", workingDir: wd },
    });
    expect(r.status).toBe(201);
    await waitFor(() => hook.received.length === 2, 15_000, "the POST and its retry");
    expect(hook.received[0]!.body).toMatchObject({
      task: { id: r.json.task.id, title: "From the process", status: "done" },
      url: `${s.base}/tasks/${r.json.task.id}`,
    });
    await waitFor(
      () =>
        /notification to http:\/\/127\.0\.0\.1:\d+ failed twice \(HTTP 503; then HTTP 503\)/.test(
          s.out.stdout,
        ),
      10_000,
      "the warning line",
    );
    expect((await s.api(`/api/tasks/${r.json.task.id}`)).json.task.status).toBe("done");
  });
});
