// The missing-STATUS re-ask (issue 13, point 4): a review that is not a verdict is asked once more,
// in the same codex thread, for the verdict alone; only then does the old rule (ISSUES_FOUND) apply.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LoopEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, taskEnded, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The fake codex's first thread id (call 1). */
const THREAD_1 = "0199a213-81c0-7800-8aa1-bbab2a035a51";

async function run(app: TestApp, wd: string, maxIterations: number): Promise<Task> {
  const r = await app.api({
    method: "POST",
    url: "/api/tasks",
    payload: { title: "Add a flag", prompt: "Add a --json flag", workingDir: wd, maxIterations },
    headers: { "content-type": "application/json" },
  });
  expect(r.statusCode, r.body).toBe(201);
  const id = r.json().task.id as string;
  return taskEnded(app, id, 20_000);
}

const codexCalls = (wd: string) =>
  readdirSync(join(wd, ".fake-state")).filter((f) => /^codex-\d+\.json$/.test(f));
const codexCall = (wd: string, k: number) =>
  JSON.parse(readFileSync(join(wd, ".fake-state", `codex-${k}.json`), "utf8")) as {
    argv: string[];
    prompt: string;
    resume?: string;
  };
const warnings = (events: LoopEvent[]) =>
  events.flatMap((e) => (e.type === "task.warning" ? [e.data.message] : []));
const codexStarts = (events: LoopEvent[]) =>
  events.filter((e) => e.type === "agent.started" && e.data.agent === "codex");

async function artifact(app: TestApp, id: string, name: string): Promise<string> {
  const r = await app.api({ url: `/api/tasks/${id}/artifacts/${name}` });
  expect(r.statusCode, `${name}: ${r.body}`).toBe(200);
  return r.body;
}

describe("the missing-STATUS re-ask", () => {
  it("asks the same thread for the verdict alone and takes its STATUS: DONE", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("added the flag")],
        codex: [codex.review("Looks fine to me.\n\n- nothing left"), codex.review("STATUS: DONE")],
      }),
    );
    const task = await run(t, wd, 3);
    expect(task).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 1",
    });

    // One extra codex call, `exec … resume <thread> -`, with -C and the sandbox before the subcommand.
    expect(codexCalls(wd)).toHaveLength(2);
    const reask = codexCall(wd, 2);
    expect(reask.resume).toBe(THREAD_1);
    const at = reask.argv.indexOf("resume");
    expect(reask.argv.slice(at)).toEqual(["resume", THREAD_1, "-"]);
    expect(reask.argv.slice(0, at)).toEqual(
      expect.arrayContaining(["exec", "--sandbox", "read-only", "-C", wd]),
    );
    expect(reask.prompt).toMatch(/STATUS: DONE.*STATUS: ISSUES_FOUND/s);
    expect(codexCall(wd, 1).argv).not.toContain("resume");

    const events = t.events(task.id);
    // Both runs are agent runs of iteration 1: started, finished, their usage counted.
    const starts = codexStarts(events);
    expect(starts.map((e) => e.iteration)).toEqual([1, 1]);
    expect((starts[1]!.data as { argv: string[] }).argv).toEqual(
      expect.arrayContaining(["resume", THREAD_1]),
    );
    const finishes = events.filter((e) => e.type === "agent.finished" && e.data.agent === "codex");
    expect(finishes.map((e) => (e.data as { ok: boolean }).ok)).toEqual([true, true]);
    const codexUsage = events.filter((e) => e.type === "task.usage" && e.data.agent === "codex");
    expect(codexUsage).toHaveLength(2);
    expect(t.repos.iterations.get(task.id, 1)?.usage.codex.inputTokens).toBeGreaterThanOrEqual(10_000);

    expect(events.find((e) => e.type === "review.verdict")?.data).toMatchObject({ status: "DONE" });
    expect(warnings(events).filter((m) => m.includes("STATUS"))).toEqual([]);
    // The stored review starts with the verdict it was given, then Codex's review as it wrote it.
    expect(t.repos.iterations.texts(task.id)[0]).toMatchObject({
      verdict: "DONE",
      review: "STATUS: DONE\n\nLooks fine to me.\n\n- nothing left",
    });
    expect(await artifact(t, task.id, "001-codex-output.md")).toBe("Looks fine to me.\n\n- nothing left\n");
    expect(await artifact(t, task.id, "001-codex-verdict-prompt.md")).toContain("STATUS");
    expect(await artifact(t, task.id, "001-codex-verdict-output.md")).toBe("STATUS: DONE\n");
  });

  it("asks only when there is no STATUS line", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({ claude: [claude.ok("x")], codex: [codex.review("**STATUS: DONE**\nok")] }),
    );
    const task = await run(t, wd, 3);
    expect(task.status).toBe("done");
    expect(codexCalls(wd)).toHaveLength(1);
    expect(codexStarts(t.events(task.id))).toHaveLength(1);
  });

  it("falls back to ISSUES_FOUND with a warning when the re-ask gives no STATUS either", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("x")],
        codex: [
          codex.review("Some notes.\n- the flag is not parsed"),
          codex.review("I think it is mostly fine."),
        ],
      }),
    );
    const task = await run(t, wd, 1);
    expect(task).toMatchObject({
      status: "needs_attention",
      statusReason: "Reached the iteration cap (1) with issues remaining",
    });
    expect(codexCalls(wd)).toHaveLength(2);
    const events = t.events(task.id);
    expect(events.find((e) => e.type === "review.verdict")?.data).toMatchObject({ status: "ISSUES_FOUND" });
    expect(warnings(events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/iteration 1 has no STATUS line; asked again .* gave none either/),
        expect.stringMatching(/no STATUS line.*counted as ISSUES_FOUND/),
      ]),
    );
    // The review stands as Codex wrote it; its finding is in the ledger.
    expect(t.repos.iterations.texts(task.id)[0]?.review).toBe("Some notes.\n- the flag is not parsed");
    expect(t.repos.findings.list(task.id).map((f) => f.text)).toEqual(["the flag is not parsed"]);
    expect(await artifact(t, task.id, "001-codex-verdict-output.md")).toBe("I think it is mostly fine.\n");
  });

  it("a re-ask that fails is no review: the original rule applies, with a warning, and the task goes on", async () => {
    t = await createTestApp();
    const wd = t.workdir(
      scenario({
        claude: [claude.ok("x")],
        codex: [
          codex.review("Some notes."),
          codex.failedTurn("unexpected status 500 Internal Server Error"),
          codex.review("STATUS: DONE"),
        ],
      }),
    );
    const task = await run(t, wd, 2);
    expect(task).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 2",
    });
    expect(codexCalls(wd)).toHaveLength(3);
    expect(codexCall(wd, 2).resume).toBe(THREAD_1);
    const events = t.events(task.id);
    expect(t.repos.iterations.get(task.id, 1)).toMatchObject({ status: "done", verdict: "ISSUES_FOUND" });
    expect(warnings(events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /iteration 1 has no STATUS line; asking Codex again for its verdict failed \(codex exited .*500/,
        ),
        expect.stringMatching(/no STATUS line.*counted as ISSUES_FOUND/),
      ]),
    );
    const failedRun = events.find(
      (e) => e.type === "agent.finished" && e.data.agent === "codex" && !e.data.ok,
    );
    expect(failedRun?.iteration).toBe(1);
    expect(await artifact(t, task.id, "001-codex-verdict-output.md")).toMatch(/500/);
  });
  it("a cancel during the re-ask cancels the task; the review is not recorded", async () => {
    t = await createTestApp();
    const app = t;
    const wd = app.workdir(
      scenario({ claude: [claude.ok("x")], codex: [codex.review("Some notes."), codex.hang()] }),
    );
    const r = await app.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "Add a flag", prompt: "Add a --json flag", workingDir: wd, maxIterations: 3 },
      headers: { "content-type": "application/json" },
    });
    const id = r.json().task.id as string;
    await waitFor(() => codexStarts(app.events(id)).length === 2, 20_000, "the re-ask to start");
    expect((await app.api({ method: "POST", url: `/api/tasks/${id}/cancel` })).statusCode).toBe(200);
    await waitFor(() => app.repos.tasks.get(id)?.status === "cancelled", 20_000, "the task to be cancelled");
    expect(app.repos.iterations.texts(id)[0]).toMatchObject({ verdict: null, review: null });
    expect(app.events(id).some((e) => e.type === "review.verdict")).toBe(false);
  });
});
