import { DeleteTaskQuery, describeZodError, ListTasksQuery } from "@loop/shared";
import { describe, expect, it, onTestFinished } from "vitest";
import { createTestApp, taskEnded } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

/**
 * The routes' zod schemas (fastify-type-provider-zod) answer a bad request before the handler, in
 * the words describeZodError says for the same schema: the code says which part was wrong (body →
 * invalid_body, query or id → invalid_query), the message names each field once.
 */
async function app() {
  const t = await createTestApp();
  onTestFinished(() => t.close());
  return t;
}

const json = { "content-type": "application/json" };
const expectedFor = (schema: typeof ListTasksQuery | typeof DeleteTaskQuery, q: Record<string, string>) => {
  const r = schema.safeParse(q);
  if (r.success) throw new Error(`${JSON.stringify(q)} is valid`);
  return describeZodError(r.error);
};

describe("route schemas: 400 naming the field", () => {
  it.each([
    [{ extraIterations: 0 }, "extraIterations: must be at least 1"],
    [{ extraIterations: 2, maxCostUsd: -1 }, "maxCostUsd: maxCostUsd must be greater than 0"],
    [{ extra: 1 }, "unknown field: extra"],
    [[1], "the body must be a JSON object"],
  ])("resume %j: invalid_body %s", async (payload, message) => {
    const t = await app();
    const task = t.repos.tasks.create({ title: "a", prompt: "p", workingDir: t.dir, maxIterations: 1 });
    const r = await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume`, payload, headers: json });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: "invalid_body", message } });
  });

  it.each([
    [{}, "to: must be one of top, up, down, bottom"],
    [{ to: "left" }, "to: must be one of top, up, down, bottom"],
    [{ to: "top", by: 2 }, "unknown field: by"],
    [JSON.stringify("top"), 'the body must be a JSON object with a field "to"'],
  ])("move %j: invalid_body %s, before the task is looked up", async (payload, message) => {
    const t = await app();
    const r = await t.api({ method: "POST", url: "/api/tasks/nope/move", payload, headers: json });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: "invalid_body", message } });
  });

  it.each<Record<string, string>>([
    { limit: "0" },
    { limit: "201" },
    { limit: "ten" },
    { status: "bogus" },
    { wat: "1" },
    { q: " " },
  ])("GET /api/tasks?%j: invalid_query, as the schema says it", async (q) => {
    const t = await app();
    const r = await t.api({ url: `/api/tasks?${new URLSearchParams(q)}` });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: "invalid_query", message: expectedFor(ListTasksQuery, q) } });
    expect(r.json().error.message).toMatch(new RegExp(`^${Object.keys(q)[0]}: |"${Object.keys(q)[0]}"`));
  });

  it("DELETE ?deleteBranch=2: invalid_query naming deleteBranch; the task stays", async () => {
    const t = await app();
    const task = t.repos.tasks.create({ title: "a", prompt: "p", workingDir: t.dir, maxIterations: 1 });
    const r = await t.api({ method: "DELETE", url: `/api/tasks/${task.id}?deleteBranch=2` });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: "invalid_query", message: "deleteBranch: must be 1 or 0" } });
    expect(expectedFor(DeleteTaskQuery, { deleteBranch: "2" })).toBe("deleteBranch: must be 1 or 0");
    expect(t.repos.tasks.get(task.id)).toBeDefined();
  });

  it("a body that passes is typed and used: no body at all resumes as an empty one", async () => {
    const t = await app();
    const task = t.repos.tasks.create({ title: "a", prompt: "p", workingDir: t.dir, maxIterations: 1 });
    // Queued: the schema lets it through and the orchestrator says why it cannot resume.
    const r = await t.api({ method: "POST", url: `/api/tasks/${task.id}/resume` });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe("not_resumable");
    const limit = await t.api({ url: "/api/tasks?limit=1" });
    expect(limit.statusCode).toBe(200);
    expect(limit.json().tasks).toHaveLength(1);
  });
});

describe("response schemas keep every field", () => {
  it("a finished task's detail, list, queue and artifacts are the stored rows, field for field", async () => {
    const t = await app();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("did it")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- the flag is still off")],
      }),
    );
    const created = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "t", prompt: "p", workingDir: wd, maxIterations: 1, maxCostUsd: 5 },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().task.id as string;
    await taskEnded(t, id);
    const raw = (v: unknown) => JSON.parse(JSON.stringify(v));

    const detail = (await t.api({ url: `/api/tasks/${id}` })).json();
    expect(detail.task).toEqual(raw(t.repos.tasks.get(id)));
    expect(detail.iterations).toEqual(raw(t.repos.iterations.list(id)));
    expect(detail.findings).toEqual(raw(t.repos.findings.list(id)));
    expect(detail.findings.length).toBeGreaterThan(0);
    expect(Object.keys(detail).sort()).toEqual(["findings", "iterations", "lastEventId", "notes", "task"]);
    expect(detail.notes).toEqual(raw(t.repos.notes.list(id)));

    const list = (await t.api({ url: "/api/tasks" })).json();
    expect(list.tasks).toEqual([raw(t.repos.tasks.get(id))]);
    expect((await t.api({ url: "/api/queue" })).json()).toEqual({
      paused: false,
      tasks: [],
      running: null,
      runningTasks: [],
      maxParallel: 1,
      waits: {},
    });
    const artifacts = (await t.api({ url: `/api/tasks/${id}/artifacts` })).json();
    expect(artifacts).toEqual({ artifacts: raw(await t.orchestrator.artifacts.list(id)) });
    const md = await t.api({ url: `/api/tasks/${id}/artifacts/task.md` });
    expect(md.headers["content-type"]).toBe("text/markdown; charset=utf-8");
    expect(md.body).toBe(await t.orchestrator.artifacts.read(id, "task.md"));
  });
});
