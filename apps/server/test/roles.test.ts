import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EventOf } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

// Roles over HTTP (contract "Roles"): which agent works and which reviews, chosen per task.
let t: TestApp;
afterEach(() => t?.close());

const post = (body: object) =>
  t.api({
    method: "POST",
    url: "/api/tasks",
    payload: body,
    headers: { "content-type": "application/json" },
  });
const base = () => ({ title: "t", prompt: "p", workingDir: t.workdir() });

describe("POST /api/tasks worker / reviewer", () => {
  it.each([
    [{ worker: "codex", reviewer: "codex" }, "reviewer: must be a different agent from the worker"],
    [{ worker: "claude", reviewer: "claude" }, "reviewer: must be a different agent from the worker"],
    [{ worker: "gpt" }, 'worker: must be "claude" or "codex"'],
    [{ reviewer: "gemini" }, 'reviewer: must be "claude" or "codex"'],
    [{ worker: 1 }, 'worker: must be "claude" or "codex"'],
  ])("400 invalid_body for %j naming the field", async (roles, message) => {
    t = await createTestApp();
    await t.api({ method: "POST", url: "/api/queue/pause" });
    const r = await post({ ...base(), ...roles });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toEqual({ code: "invalid_body", message });
    expect(t.repos.tasks.list({ limit: 10 }).tasks).toHaveLength(0);
  });

  it("defaults to claude works, codex reviews; naming one gives the other part to the other agent", async () => {
    t = await createTestApp();
    await t.api({ method: "POST", url: "/api/queue/pause" });
    const cases: Array<[object, { worker: string; reviewer: string }]> = [
      [{}, { worker: "claude", reviewer: "codex" }],
      [{ worker: "codex" }, { worker: "codex", reviewer: "claude" }],
      [{ reviewer: "claude" }, { worker: "codex", reviewer: "claude" }],
      [{ worker: "claude" }, { worker: "claude", reviewer: "codex" }],
      [
        { worker: "codex", reviewer: "claude" },
        { worker: "codex", reviewer: "claude" },
      ],
    ];
    for (const [roles, want] of cases) {
      const r = await post({ ...base(), ...roles });
      expect(r.statusCode, r.body).toBe(201);
      expect(r.json().task, JSON.stringify(roles)).toMatchObject(want);
      // GET shows them, in the list and in the detail.
      const id = r.json().task.id;
      expect((await t.api({ url: `/api/tasks/${id}` })).json().task).toMatchObject(want);
      const listed = (await t.api({ url: "/api/tasks" }))
        .json()
        .tasks.find((x: { id: string }) => x.id === id);
      expect(listed).toMatchObject(want);
    }
    expect((await t.api({ url: "/api/health" })).json().defaults).toEqual({
      maxIterations: 10,
      worker: "claude",
      reviewer: "codex",
    });
  });

  it("LOOP_WORKER / LOOP_REVIEWER set the defaults, in tasks and in GET /api/health", async () => {
    t = await createTestApp({ LOOP_WORKER: "codex", LOOP_REVIEWER: "claude" });
    await t.api({ method: "POST", url: "/api/queue/pause" });
    expect((await post(base())).json().task).toMatchObject({ worker: "codex", reviewer: "claude" });
    expect((await post({ ...base(), worker: "claude" })).json().task).toMatchObject({
      worker: "claude",
      reviewer: "codex",
    });
    expect((await t.api({ url: "/api/health" })).json().defaults).toMatchObject({
      worker: "codex",
      reviewer: "claude",
    });
  });
});

describe("a swapped task with the fake CLIs", () => {
  it("codex works (workspace-write, writes its file), claude reviews (plan, cannot write); retry keeps the roles", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        codex: [codex.review("Created hello.txt.", { write: { path: "hello.txt", content: "hello\n" } })],
        claude: [
          claude.ok("STATUS: DONE\nhello.txt is there.", { write: { path: "review.txt", content: "x" } }),
        ],
      }),
    );
    const r = await post({
      title: "swap",
      prompt: "Create hello.txt",
      workingDir: wd,
      worker: "codex",
      reviewer: "claude",
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().task.id;
    const done = await taskEnded(t, id);
    expect(done).toMatchObject({
      status: "done",
      statusReason: "Claude reported STATUS: DONE in iteration 1",
      worker: "codex",
      reviewer: "claude",
    });
    // The worker wrote; the reviewer's write was refused by plan mode.
    expect(readFileSync(join(wd, "hello.txt"), "utf8")).toBe("hello\n");
    expect(existsSync(join(wd, "review.txt"))).toBe(false);

    const started = t.events(id).filter((e): e is EventOf<"agent.started"> => e.type === "agent.started");
    expect(started.map((e) => e.data.agent)).toEqual(["codex", "claude"]);
    expect(started[0]!.data.argv).toEqual(expect.arrayContaining(["exec", "--sandbox", "workspace-write"]));
    expect(started[0]!.data.argv).not.toContain("read-only");
    expect(started[1]!.data.argv).toEqual(expect.arrayContaining(["--print", "--permission-mode", "plan"]));
    expect(started[1]!.data.argv).not.toContain("acceptEdits");

    const names = (await t.api({ url: `/api/tasks/${id}/artifacts` }))
      .json()
      .artifacts.map((a: { name: string }) => a.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "001-codex-prompt.md",
        "001-codex-output.md",
        "001-claude-prompt.md",
        "001-claude-output.md",
      ]),
    );
    const review = await t.api({ url: `/api/tasks/${id}/artifacts/001-claude-output.md` });
    expect(review.body).toMatch(/^STATUS: DONE/);
    // Usage stays per agent: codex's tokens under codex, claude's cost under claude.
    expect(done.usage.codex.inputTokens).toBeGreaterThan(0);
    expect(done.usage.claude.costUsd).toBeGreaterThan(0);

    const retry = await t.api({ method: "POST", url: `/api/tasks/${id}/retry` });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json().task).toMatchObject({ retryOf: id, worker: "codex", reviewer: "claude" });
    const again = await taskEnded(t, retry.json().task.id);
    expect(again).toMatchObject({ status: "done", worker: "codex", reviewer: "claude" });
  });
});
