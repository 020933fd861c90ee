import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import type { AgentRequest } from "../src/agents/index.ts";
import { chainProblem, plan, sameDirectory } from "../src/loop/queue-plan.ts";
import { Orchestrator } from "../src/orchestrator.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { fail, ok, type Step } from "./support/memory-agents.ts";

/**
 * Counts the worker runs going on at once. Each run holds until `together` runs are going (the
 * overlap a test waits for) or `holdMs` passed (long enough for a second one to start if the
 * scheduler let it), then answers; `peak` is the most seen at once.
 */
function meter(together: number, holdMs = 1500) {
  let now = 0;
  const m = { peak: 0, cwds: [] as string[] };
  const waiters = new Set<() => void>();
  const step: Step = async (req: AgentRequest) => {
    now++;
    m.peak = Math.max(m.peak, now);
    m.cwds.push(req.cwd);
    for (const w of waiters) w();
    if (now < together && !req.signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          if (now < together && !req.signal?.aborted) return;
          clearTimeout(t);
          waiters.delete(done);
          resolve();
        };
        const t = setTimeout(() => {
          waiters.delete(done);
          resolve();
        }, holdMs);
        waiters.add(done);
        req.signal?.addEventListener("abort", done, { once: true });
      });
    }
    now--;
    if (req.signal?.aborted) return fail("cancelled", "claude was stopped before it finished");
    return ok("claude", "Did the work.");
  };
  return Object.assign(m, { step });
}

const t = (o: Partial<Task> & { id: string }): Task =>
  ({
    title: o.id,
    workingDir: "/w",
    isolation: "none",
    worker: "claude",
    reviewer: "codex",
    after: null,
    ...o,
  }) as Task;

describe("the queue plan", () => {
  const status = () => undefined;

  it("never puts two tasks in one directory, or one inside the other, unless both use worktrees", () => {
    expect(sameDirectory(t({ id: "a", workingDir: "/r" }), t({ id: "b", workingDir: "/r/" }))).toBe(true);
    expect(sameDirectory(t({ id: "a", workingDir: "/r" }), t({ id: "b", workingDir: "/r/sub" }))).toBe(true);
    expect(sameDirectory(t({ id: "a", workingDir: "/r/sub/x" }), t({ id: "b", workingDir: "/r" }))).toBe(
      true,
    );
    expect(sameDirectory(t({ id: "a", workingDir: "/r" }), t({ id: "b", workingDir: "/r2" }))).toBe(false);
    const wt = { isolation: "worktree" as const, workingDir: "/r" };
    expect(sameDirectory(t({ id: "a", ...wt }), t({ id: "b", ...wt }))).toBe(false);
    expect(sameDirectory(t({ id: "a", ...wt }), t({ id: "b", workingDir: "/r" }))).toBe(true);
  });

  it("starts in queue order up to the cap; a task that must wait holds back none behind it", () => {
    const p = plan({
      queued: [
        t({ id: "a", workingDir: "/x" }),
        t({ id: "b", workingDir: "/y" }),
        t({ id: "c", workingDir: "/z" }),
      ],
      running: [t({ id: "r", workingDir: "/x/inner", title: "Fix it" })],
      maxParallel: 3,
      holds: [],
      status,
    });
    expect(p.start.map((x) => x.id)).toEqual(["b", "c"]);
    expect(Object.fromEntries(p.waits)).toEqual({ a: "waits: same directory as r (“Fix it”)" });
    const full = plan({
      queued: [t({ id: "a", workingDir: "/x" })],
      running: [t({ id: "r", workingDir: "/y" }), t({ id: "s", workingDir: "/z" })],
      maxParallel: 2,
      holds: [],
      status,
    });
    expect(full.start).toEqual([]);
    expect(full.waits.get("a")).toBe("waits: 2 tasks running (LOOP_MAX_PARALLEL=2)");
  });

  it("chains: waits until the first is done; cancels naming it when it ended any other way or is gone", () => {
    const states: Record<string, Task["status"]> = { p: "running", d: "done", f: "failed", c: "cancelled" };
    const p = plan({
      queued: ["p", "d", "f", "c", "gone"].map((after) =>
        t({ id: `after-${after}`, after, workingDir: `/${after}` }),
      ),
      running: [],
      maxParallel: 8,
      holds: [],
      status: (id) => states[id],
    });
    expect(p.start.map((x) => x.id)).toEqual(["after-d"]);
    expect(Object.fromEntries(p.waits)).toEqual({ "after-p": "waits for p to finish" });
    expect(Object.fromEntries(p.cancels)).toEqual({
      "after-f": "Cancelled: the task it was to run after (f) ended failed",
      "after-c": "Cancelled: the task it was to run after (c) ended cancelled",
      "after-gone": "Cancelled: the task it was to run after (gone) was deleted",
    });
  });

  it("a hold on an agent holds every task that needs it", () => {
    const hold = { agent: "claude" as const, reason: "claude window at 92 %", until: null };
    const p = plan({
      queued: [
        t({ id: "a", workingDir: "/a" }),
        t({ id: "b", workingDir: "/b", worker: "codex", reviewer: "claude" }),
      ],
      running: [],
      maxParallel: 2,
      holds: [hold],
      status,
    });
    expect(p.start).toEqual([]);
    expect([...p.waits.values()]).toEqual(["waits: claude window at 92 %", "waits: claude window at 92 %"]);
  });

  it("refuses an unknown id and a cycle", () => {
    const rows: Record<string, { after: string | null }> = {
      a: { after: "b" },
      b: { after: "a" },
      c: { after: null },
    };
    expect(chainProblem("new", "c", (id) => rows[id])).toBeNull();
    expect(chainProblem("new", "zzz", (id) => rows[id])).toBe("after: no task with id zzz");
    expect(chainProblem("new", "a", (id) => rows[id])).toMatch(/would make a cycle/);
  });
});

describe("parallel tasks in the loop", () => {
  it("runs up to LOOP_MAX_PARALLEL tasks at once in different directories; each ends done", async () => {
    const m = meter(2);
    const h = loopHarness({ settings: { maxParallel: 2 }, scripts: { worker: [m.step] } });
    const dirs = ["a", "b"].map((d) => join(h.root, d));
    for (const d of dirs) mkdirSync(d);
    const tasks = await Promise.all(dirs.map((workingDir) => h.submit({ workingDir })));
    for (const task of tasks) expect((await h.ended(task.id)).status).toBe("done");
    expect(m.peak).toBe(2);
    expect(h.orchestrator.stats().running).toBe(0);
  });

  it("by default (LOOP_MAX_PARALLEL unset) one task runs at a time", async () => {
    const m = meter(2, 300);
    const h = loopHarness({ scripts: { worker: [m.step] } });
    const dirs = ["a", "b"].map((d) => join(h.root, d));
    for (const d of dirs) mkdirSync(d);
    const [a, b] = await Promise.all(dirs.map((workingDir) => h.submit({ workingDir })));
    // Filed in the same instant, either may go first: the other waits for it.
    await expect
      .poll(() => Object.values(h.orchestrator.queue().waits))
      .toEqual(["waits for the running task"]);
    for (const task of [a!, b!]) expect((await h.ended(task.id)).status).toBe("done");
    expect(m.peak).toBe(1);
    expect(h.settings.maxParallel).toBe(1);
  });

  it("never runs two in-place tasks in one directory, or one inside the other, at once", async () => {
    const m = meter(2, 300);
    const h = loopHarness({ settings: { maxParallel: 3 }, scripts: { worker: [m.step] } });
    const inner = join(h.workDir, "pkg");
    mkdirSync(inner);
    const a = await h.submit();
    const b = await h.submit({ title: "same dir" });
    const c = await h.submit({ title: "inside", workingDir: inner });
    await expect
      .poll(() => h.orchestrator.queue().waits[b.id])
      .toBe(`waits: same directory as ${a.id} (“t”)`);
    expect(h.orchestrator.queue().waits[c.id]).toBe(`waits: same directory as ${a.id} (“t”)`);
    for (const task of [a, b, c]) expect((await h.ended(task.id)).status).toBe("done");
    expect(m.peak).toBe(1);
  });

  it("runs two worktree tasks on one git repository at once; each branch holds only its own change", async () => {
    const h = loopHarness({
      settings: { maxParallel: 2 },
      scripts: {
        worker: [
          async (req, call) => {
            writeFileSync(join(req.cwd, `change-${call}.txt`), `change ${call}\n`);
            return m.step(req, call);
          },
        ],
      },
    });
    const m = meter(2);
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", h.workDir, ...args], {
        encoding: "utf8",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@t",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@t",
        },
      });
    git("init", "-q", "-b", "main");
    writeFileSync(join(h.workDir, "README"), "base\n");
    git("add", "README");
    git("commit", "-qm", "base");
    const tasks = await Promise.all(
      ["one", "two"].map((title) => h.submit({ title, isolation: "worktree" })),
    );
    for (const task of tasks) expect((await h.ended(task.id)).status).toBe("done");
    expect(m.peak).toBe(2);
    const files = tasks.map((task) =>
      git("diff", "--name-only", "main", `loop/${task.id}`).trim().split("\n"),
    );
    expect(files.map((f) => f.length)).toEqual([1, 1]);
    expect(new Set(files.flat()).size).toBe(2);
    expect(git("status", "--porcelain")).toBe("");
  });

  it("chains: B starts once A is done; after a failed A, B ends cancelled naming it, and C after B too", async () => {
    const h = loopHarness({ settings: { maxParallel: 2 } });
    const dirB = join(h.root, "b");
    mkdirSync(dirB);
    const a = await h.submit({ title: "A" });
    const b = await h.submit({ title: "B", after: a.id, workingDir: dirB });
    expect(b.after).toBe(a.id);
    const ended = await h.ended(b.id);
    expect(ended.status).toBe("done");
    expect(new Date(ended.startedAt!).getTime()).toBeGreaterThanOrEqual(
      new Date(h.repos.tasks.get(a.id)!.finishedAt!).getTime(),
    );

    const g = loopHarness({
      settings: { maxParallel: 2 },
      scripts: { worker: [fail("agent_error", "claude broke")] },
    });
    const first = await g.submit({ title: "A" });
    const second = await g.submit({ title: "B", after: first.id });
    const third = await g.submit({ title: "C", after: second.id });
    expect((await g.ended(first.id)).status).toBe("failed");
    expect(await g.ended(second.id)).toMatchObject({
      status: "cancelled",
      statusReason: `Cancelled: the task it was to run after (${first.id}) ended failed`,
    });
    expect(await g.ended(third.id)).toMatchObject({
      status: "cancelled",
      statusReason: `Cancelled: the task it was to run after (${second.id}) ended cancelled`,
    });
    expect(g.agents.of().worker.calls).toHaveLength(1);
  });

  it("a task after a paused one waits; resume lets the chain go on", async () => {
    const h = loopHarness({ settings: { maxParallel: 2 }, start: false });
    const a = await h.submit({ title: "A" });
    h.repos.tasks.update(a.id, { status: "paused", statusReason: "interrupted" });
    const b = await h.submit({ title: "B", after: a.id });
    h.orchestrator.start();
    await expect.poll(() => h.orchestrator.queue().waits[b.id]).toBe(`waits for ${a.id} to finish`);
    await h.orchestrator.idle();
    expect(h.repos.tasks.get(b.id)!.status).toBe("queued");
    await h.orchestrator.resume(a.id);
    expect((await h.ended(b.id)).status).toBe("done");
  });

  it("refuses `after` naming no task (invalid_after)", async () => {
    const h = loopHarness({ settings: { maxParallel: 2 } });
    await expect(h.submit({ after: "01NOSUCHTASK" })).rejects.toMatchObject({
      code: "invalid_after",
      message: "after: no task with id 01NOSUCHTASK",
    });
    expect(h.repos.tasks.countByStatus("queued")).toBe(0);
  });

  it("a usage-limit pause of claude holds every task that needs claude until it resets", async () => {
    let resetAt = 0;
    const h = loopHarness({
      settings: { maxParallel: 2, usageLimitMarginMs: 0 },
      scripts: {
        worker: [
          () => {
            resetAt = Date.now() + 400;
            return fail("usage_limit", "claude: usage limit reached", {
              resetsAt: new Date(resetAt).toISOString(),
            });
          },
          "Did the work.",
        ],
      },
    });
    const a = await h.submit({ title: "A" });
    await expect.poll(() => h.repos.tasks.get(a.id)!.status).toBe("paused");
    const dir = join(h.root, "b");
    mkdirSync(dir);
    const b = await h.submit({ title: "B", workingDir: dir });
    expect(h.orchestrator.queue().waits[b.id]).toMatch(
      new RegExp(`^waits: claude usage limit \\(${a.id} waits until `),
    );
    expect((await h.ended(b.id)).status).toBe("done");
    expect((await h.ended(a.id)).status).toBe("done");
    const started = h.events(b.id).find((e) => e.type === "task.started")!;
    expect(new Date(started.ts).getTime()).toBeGreaterThanOrEqual(resetAt);
  });

  it("a claude window at LOOP_PAUSE_AT_UTILIZATION holds every start until it resets", async () => {
    const h = loopHarness({ settings: { maxParallel: 2, pauseAtUtilization: 90 } });
    const resetAt = Date.now() + 500;
    h.repos.limits.record({
      agent: "claude",
      window: "five_hour",
      status: "allowed_warning",
      utilization: 92,
      resetsAt: new Date(resetAt).toISOString(),
      overage: null,
      updatedAt: new Date().toISOString(),
    });
    const dirs = ["a", "b"].map((d) => join(h.root, d));
    for (const d of dirs) mkdirSync(d);
    const tasks = await Promise.all(dirs.map((workingDir) => h.submit({ workingDir })));
    const waits = h.orchestrator.queue().waits;
    for (const t of tasks) {
      expect(waits[t.id]).toBe(
        `waits: claude window at 92 % (LOOP_PAUSE_AT_UTILIZATION=90), until ${new Date(resetAt).toISOString()}`,
      );
    }
    for (const t of tasks) {
      expect((await h.ended(t.id)).status).toBe("done");
      const started = h.events(t.id).find((e) => e.type === "task.started")!;
      expect(new Date(started.ts).getTime()).toBeGreaterThanOrEqual(resetAt);
      // It never started only to pause inside its run.
      expect(h.types(t.id)).not.toContain("task.paused");
    }
  });

  it("queue depth counts queued tasks only, not running ones", async () => {
    const gate = meter(3, 60_000);
    const h = loopHarness({
      settings: { maxParallel: 2, maxQueueDepth: 1 },
      scripts: { worker: [gate.step] },
    });
    const dirs = ["a", "b", "c", "d"].map((d) => join(h.root, d));
    for (const d of dirs) mkdirSync(d);
    await h.submit({ workingDir: dirs[0]! });
    await h.submit({ workingDir: dirs[1]! });
    await expect.poll(() => h.orchestrator.stats()).toMatchObject({ running: 2, queued: 0 });
    await h.submit({ workingDir: dirs[2]! });
    await expect(h.submit({ workingDir: dirs[3]! })).rejects.toMatchObject({ code: "queue_full" });
    expect(h.orchestrator.queue()).toMatchObject({ maxParallel: 2, runningTasks: [{}, {}], tasks: [{}] });
  });

  it("a stop pauses every running task; each resumes on its own to done", async () => {
    const m = meter(3, 60_000);
    const h = loopHarness({
      settings: { maxParallel: 2 },
      scripts: { worker: [m.step, m.step, "Did the work."] },
    });
    const dirs = ["a", "b"].map((d) => join(h.root, d));
    for (const d of dirs) mkdirSync(d);
    const tasks = await Promise.all(dirs.map((workingDir) => h.submit({ workingDir })));
    await expect.poll(() => m.peak).toBe(2);
    // The runs hold until they are stopped, then answer as a stopped agent does.
    await h.orchestrator.shutdown();
    for (const task of tasks) expect(h.repos.tasks.get(task.id)!.status).toBe("paused");
    const again = new Orchestrator({ repos: h.repos, bus: h.bus, settings: h.settings, agents: h.agents });
    again.start();
    for (const task of tasks) await again.resume(task.id);
    for (const task of tasks) expect((await h.ended(task.id)).status).toBe("done");
    await again.idle();
    await again.shutdown();
  });
});
