import type { EventOf, LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { listen, openRaw, parseFrames } from "./sse.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const newTask = (app: TestApp, title: string): Task =>
  app.repos.tasks.create({ title, prompt: "p", workingDir: app.dir, maxIterations: 3 });

const output = (app: TestApp, taskId: string, line: string) =>
  app.bus.emitOutput(taskId, 1, "claude", "stdout", line);
const warn = (app: TestApp, taskId: string, message: string) =>
  app.bus.send(taskId, null, "task.warning", { message });

describe("task.updated and iteration.updated", () => {
  it("follow every write of a task or iteration row with what changed; merged, they are GET /api/tasks/:id's rows", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("part 1"), claude.ok("part 2")],
        codex: [codex.review("STATUS: ISSUES_FOUND\n- more"), codex.review("STATUS: DONE")],
      }),
    );
    const res = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "rows", prompt: "p".repeat(5000), workingDir: wd, maxIterations: 3 },
    });
    const { task } = res.json() as { task: Task };
    await waitFor(() => t!.repos.tasks.get(task.id)?.status === "done", 30_000, "the task to finish");
    const events = t.events(task.id);
    const taskRows = events.filter((e): e is EventOf<"task.updated"> => e.type === "task.updated");
    const itRows = events.filter((e): e is EventOf<"iteration.updated"> => e.type === "iteration.updated");
    const detail = (await t.api({ url: `/api/tasks/${task.id}` })).json();
    // The first row is the one POST answered, whole; after it only what changed (never the prompt again).
    expect(taskRows[0]!.data.task).toEqual(task);
    for (const e of taskRows.slice(1)) expect(e.data.task).not.toHaveProperty("prompt");
    expect(Object.assign({}, ...taskRows.map((e) => e.data.task))).toEqual(detail.task);
    expect(taskRows.map((e) => e.data.task.status)).toEqual(expect.arrayContaining(["queued", "running"]));
    for (const it of detail.iterations as { n: number }[]) {
      const mine = itRows.filter((e) => e.data.iteration.n === it.n);
      for (const e of mine) expect(e.iteration).toBe(it.n);
      expect(Object.assign({}, ...mine.map((e) => e.data.iteration))).toEqual(it);
    }
    // task.finished is preceded by the finished row: a client applying rows never waits for a fetch.
    const fin = events.findIndex((e) => e.type === "task.finished");
    const lastRow = events.findLastIndex((e) => e.type === "task.updated");
    expect(lastRow).toBeLessThan(fin);
    expect(detail.lastEventId).toBeGreaterThanOrEqual(events.at(-1)!.id);
  });
});

describe("GET /api/events?output=", () => {
  it("sends state events of every task but agent output only of the tasks named", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const a = newTask(t, "shown");
    const b = newTask(t, "not shown");
    const from = t.repos.events.maxId();
    for (const task of [a, b]) {
      output(t, task.id, `old line of ${task.title}`);
      warn(t, task.id, `old warning of ${task.title}`);
    }
    const s = await openRaw(`${base}/api/events?lastEventId=${from}&output=${a.id}`);
    const none = await openRaw(`${base}/api/events?lastEventId=${from}&output=none`);
    const all = await openRaw(`${base}/api/events?lastEventId=${from}`);
    for (const task of [a, b]) {
      output(t, task.id, `new line of ${task.title}`);
      warn(t, task.id, `new warning of ${task.title}`);
    }
    const want = (filter: (e: LoopEvent) => boolean) =>
      t!.repos.events
        .listAfter({ afterId: from, limit: 100 })
        .filter(filter)
        .map((e) => e.id);
    const got = (x: { text(): string }) => parseFrames(x.text()).events.map((e) => e.id);
    const shown = want((e) => e.type !== "agent.output" || e.taskId === a.id);
    const states = want((e) => e.type !== "agent.output");
    const everything = want(() => true);
    // Replayed (old) and live (new) events obey the same filter.
    await waitFor(() => got(s).length >= shown.length && got(none).length >= states.length, 5_000, "events");
    await waitFor(() => got(all).length >= everything.length, 5_000, "all events");
    expect(got(s)).toEqual(shown);
    expect(got(none)).toEqual(states);
    expect(got(all)).toEqual(everything);
    expect(shown.length).toBeGreaterThan(states.length);
    for (const x of [s, none, all]) x.close();
  });

  it("refuses a malformed list with invalid_query", async () => {
    t = await createTestApp();
    for (const q of ["output=a%20b", "output=x,,y", `output=${"a,".repeat(101)}a`, "once=maybe"]) {
      const res = await t.api({ url: `/api/events?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe("invalid_query");
    }
  });
});

describe("GET /api/tasks/:id/events?once=1", () => {
  it("replays the stored events, says where it ended, and closes", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t, "history");
    for (let i = 0; i < 30; i++) output(t, task.id, `line ${i}`);
    const stored = t.events(task.id);
    const s = await openRaw(`${base}/api/tasks/${task.id}/events?once=1&lastEventId=${stored[4]!.id}`);
    await s.ended;
    const end = `event: end\ndata: {"lastEventId":${stored.at(-1)!.id}}\n\n`;
    expect(s.text().endsWith(end)).toBe(true);
    expect(parseFrames(s.text().slice(0, -end.length)).events).toEqual(stored.slice(5));
    await waitFor(() => t!.app.eventStreams.size === 0, 5_000, "the stream slot to be freed");
  });
});

describe("GET /api/tasks?q=", () => {
  it("searches titles (case-insensitive, % and _ literal) with status and cursor pagination", async () => {
    t = await createTestApp();
    const titles = ["Fix login", "fix LOGOUT", "Add docs", "100% done_ish", "prefix fixer", "Fix cache"];
    const made = titles.map((title) => newTask(t!, title));
    t.repos.tasks.update(made[5]!.id, { status: "done" });
    const list = async (qs: string) => {
      const res = await t!.api({ url: `/api/tasks?${qs}` });
      expect(res.statusCode, qs).toBe(200);
      return res.json() as { tasks: Task[]; nextCursor: string | null };
    };
    const titlesOf = (r: { tasks: Task[] }) => r.tasks.map((x) => x.title);
    expect(titlesOf(await list("q=fix"))).toEqual(["Fix cache", "prefix fixer", "fix LOGOUT", "Fix login"]);
    expect(titlesOf(await list("q=%25"))).toEqual(["100% done_ish"]);
    expect(titlesOf(await list("q=e_i"))).toEqual(["100% done_ish"]);
    expect(titlesOf(await list("q=%20fix%20"))).toEqual(titlesOf(await list("q=fix")));
    expect(titlesOf(await list("q=fix&status=queued"))).toEqual(["prefix fixer", "fix LOGOUT", "Fix login"]);
    expect(titlesOf(await list("q=fix&status=done"))).toEqual(["Fix cache"]);
    // Pages of 2 walk the same results, each once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { tasks: Task[]; nextCursor: string | null } = await list(
        `q=fix&status=queued&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...titlesOf(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["prefix fixer", "fix LOGOUT", "Fix login"]);
    for (const bad of ["q=", "q=%20%20", `q=${"x".repeat(201)}`]) {
      const res = await t.api({ url: `/api/tasks?${bad}` });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.code).toBe("invalid_query");
    }
  });
});
