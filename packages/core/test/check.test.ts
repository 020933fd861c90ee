import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type EventOf, isTerminal, type LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { claudeArgs } from "../src/agents/claude.ts";
import { ArtifactStore } from "../src/artifacts.ts";
import { Orchestrator } from "../src/orchestrator.ts";
import { isRunning } from "../src/runner/index.ts";
import { loopHarness } from "./support/loop-harness.ts";
import { ok } from "./support/memory-agents.ts";

/** loop's own check (`sh -c`, a real process) between the in-memory worker and reviewer. */
const data = <T extends LoopEvent["type"]>(events: LoopEvent[], type: T): EventOf<T>["data"][] =>
  events.filter((e) => e.type === type).map((e) => e.data as EventOf<T>["data"]);

const pidIn = (file: string) => Number(readFileSync(file, "utf8").trim());

/** Waits for the pid files the check writes, returns the pids. */
async function pidsOf(files: string[]): Promise<number[]> {
  await expect
    .poll(() => files.every((f) => existsSync(f) && readFileSync(f, "utf8").trim() !== ""))
    .toBe(true);
  return files.map(pidIn);
}

/**
 * The harness's ended() with more time: each check is a real process whose tree is swept after it
 * exits (/proc reads), which takes seconds on a loaded machine.
 */
async function finished(h: ReturnType<typeof loopHarness>, id: string) {
  await expect
    .poll(() => h.repos.tasks.get(id)?.status, { timeout: 60_000, interval: 20 })
    .toSatisfy((s) => s !== undefined && isTerminal(s));
  await h.orchestrator.idle();
  return h.repos.tasks.get(id)!;
}

describe("loop's check", () => {
  it("a DONE while the check fails is not accepted: the loop goes on, the worker is told, the finding resolves", async () => {
    const h = loopHarness({
      scripts: {
        worker: [
          "Did half.",
          (req) => {
            writeFileSync(join(req.cwd, "ok.txt"), "fixed\n");
            return ok("claude", "Fixed it.");
          },
        ],
        reviewer: ["STATUS: DONE\n\nLooks right."],
      },
    });
    const task = await h.submit({
      checkCommand: "echo checking; test -f ok.txt || { echo 'ok.txt is missing' >&2; exit 1; }",
    });
    const ended = await finished(h, task.id);
    expect(ended).toMatchObject({
      status: "done",
      statusReason: "Codex reported STATUS: DONE in iteration 2",
    });

    const its = h.repos.iterations.list(task.id);
    expect(its.map((i) => [i.verdict, i.check?.ok, i.check?.exitCode])).toEqual([
      ["ISSUES_FOUND", false, 1],
      ["DONE", true, 0],
    ]);
    const events = h.events(task.id);
    expect(data(events, "check.finished").map((d) => [d.ok, d.exitCode, d.timedOut])).toEqual([
      [false, 1, false],
      [true, 0, false],
    ]);
    expect(data(events, "check.output").map((d) => `${d.stream}:${d.line}`)).toContain(
      "stderr:ok.txt is missing",
    );
    expect(data(events, "task.warning").map((d) => d.message)).toContainEqual(
      expect.stringContaining("reported STATUS: DONE in iteration 1, but the check"),
    );
    // The order of one iteration: worker, its check, then the review.
    const order = events
      .map((e) => e.type)
      .filter((t) => t === "agent.started" || t === "check.started" || t === "check.finished");
    expect(order.slice(0, 4)).toEqual(["agent.started", "check.started", "check.finished", "agent.started"]);

    const { worker, reviewer } = h.agents.of();
    expect(reviewer.prompts[0]).toContain("exited with code 1");
    expect(reviewer.prompts[0]).toContain("ok.txt is missing");
    expect(worker.prompts[1]).toMatch(/^## The check failed in iteration 1\n/);
    expect(worker.prompts[1]).toContain("ok.txt is missing");
    expect(worker.prompts[0]).toContain("After you finish, loop runs `echo checking;");
    // The ledger: a finding naming the command, resolved once the check passed.
    const [finding] = h.repos.findings.list(task.id);
    expect(finding).toMatchObject({ status: "resolved", resolvedIteration: 2 });
    expect(finding?.text).toContain("`echo checking; test -f ok.txt");
    expect(h.artifacts(task.id)).toEqual(expect.arrayContaining(["001-check.md", "002-check.md"]));
    const md = await h.artifact(task.id, "001-check.md");
    expect(md).toContain("- Exit code: 1");
    expect(md).toContain("ok.txt is missing");
    // result.md's iteration table has the check per iteration, a failing one in bold.
    const result = await h.artifact(task.id, "result.md");
    expect(result).toMatch(/\| 1 \| done \| ISSUES_FOUND \| \*\*FAILED\*\* \(exit 1\) [\d.]+ s \|/);
    expect(result).toMatch(/\| 2 \| done \| DONE \| passed [\d.]+ s \|/);
  });

  it("a passing check never overrides the reviewer's ISSUES_FOUND", async () => {
    const h = loopHarness({ scripts: { reviewer: ["STATUS: ISSUES_FOUND\n\n- Rename x.", "STATUS: DONE"] } });
    const task = await h.submit({ checkCommand: "true" });
    expect(await finished(h, task.id)).toMatchObject({ status: "done", currentIteration: 2 });
    expect(h.repos.iterations.list(task.id).map((i) => [i.verdict, i.check?.ok])).toEqual([
      ["ISSUES_FOUND", true],
      ["DONE", true],
    ]);
  });

  it("at the cap with the check failing: needs_attention naming the command and its exit code", async () => {
    const h = loopHarness();
    const task = await h.submit({ checkCommand: "exit 3", maxIterations: 2 });
    expect(await finished(h, task.id)).toMatchObject({
      status: "needs_attention",
      statusReason: "Reached the iteration cap (2) with the check failing: `exit 3` exited with code 3",
    });
  });

  it("a command that does not exist fails with the shell's message (exit 127); the loop goes on", async () => {
    const h = loopHarness();
    const task = await h.submit({ checkCommand: "no-such-command-loop-check", maxIterations: 2 });
    const ended = await finished(h, task.id);
    expect(ended.statusReason).toContain("exited with code 127");
    expect(h.repos.iterations.list(task.id)).toHaveLength(2);
    const lines = data(h.events(task.id), "check.output").map((d) => d.line);
    expect(lines.join("\n")).toMatch(/no-such-command-loop-check.*not found/);
  });

  it("a hanging check is killed at its timeout with its whole tree (timedOut: true)", async () => {
    const h = loopHarness({ settings: { killGraceMs: 200 } });
    const cmd = "sleep 300 & echo $! > child.pid; setsid sleep 300 & echo $! > away.pid; sleep 300";
    const task = await h.submit({ checkCommand: cmd, checkTimeoutMs: 1000, maxIterations: 1 });
    const pids = await pidsOf([join(h.workDir, "child.pid"), join(h.workDir, "away.pid")]);
    const ended = await finished(h, task.id);
    expect(ended.statusReason).toContain("timed out");
    expect(data(h.events(task.id), "check.finished")[0]).toMatchObject({ ok: false, timedOut: true });
    expect(h.repos.iterations.get(task.id, 1)?.check).toMatchObject({ ok: false, timedOut: true });
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });

  it("cancel during the check stops its whole tree and cancels the task", async () => {
    const h = loopHarness({ settings: { killGraceMs: 200 } });
    const task = await h.submit({ checkCommand: "setsid sleep 300 & echo $! > away.pid; sleep 300" });
    const [pid] = await pidsOf([join(h.workDir, "away.pid")]);
    await h.orchestrator.cancel(task.id);
    expect(h.repos.tasks.get(task.id)).toMatchObject({
      status: "cancelled",
      statusReason: "Cancelled by the user during the check of iteration 1 (the check was stopped)",
    });
    expect(isRunning(pid!)).toBe(false);
    expect(data(h.events(task.id), "check.finished")).toEqual([]);
  });

  it("a server stop during the check pauses the task; resume reruns only the check", async () => {
    const h = loopHarness({ settings: { killGraceMs: 200 } });
    const cmd = "echo $$ > check.pid; while [ ! -f go ]; do sleep 0.05; done; echo passed";
    const task = await h.submit({ checkCommand: cmd });
    const [pid] = await pidsOf([join(h.workDir, "check.pid")]);
    await h.orchestrator.shutdown();
    expect(h.repos.tasks.get(task.id)).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a server stop during the check of iteration 1; resume it to continue from there",
    });
    expect(isRunning(pid!)).toBe(false);
    expect(h.repos.iterations.get(task.id, 1)).toMatchObject({ status: "interrupted", check: null });

    writeFileSync(join(h.workDir, "go"), "");
    const again = new Orchestrator({ repos: h.repos, bus: h.bus, settings: h.settings, agents: h.agents });
    again.start();
    try {
      await again.resume(task.id);
      await expect.poll(() => h.repos.tasks.get(task.id)?.status, { timeout: 60_000 }).toBe("done");
      await again.idle();
    } finally {
      await again.shutdown();
    }
    const { worker, reviewer } = h.agents.of();
    expect(worker.calls).toHaveLength(1);
    expect(reviewer.calls).toHaveLength(1);
    const events = h.events(task.id);
    expect(data(events, "check.started")).toHaveLength(2);
    expect(data(events, "task.resumed")).toContainEqual(
      expect.objectContaining({ from: "the check of iteration 1 (claude's answer is kept)" }),
    );
    expect(await new ArtifactStore(h.settings.artifactsDir).read(task.id, "001-check.md")).toContain(
      "passed",
    );
  });

  it("the worker may run the check: claude's allowed commands hold LOOP_ALLOWED_COMMANDS, the task's and the check", async () => {
    const h = loopHarness({ settings: { allowedCommands: ["npm test", "npx tsc"] } });
    const task = await h.submit({ checkCommand: "true", allowedCommands: ["make lint", "npm test"] });
    await finished(h, task.id);
    const { worker, reviewer } = h.agents.of();
    expect(worker.calls[0]?.allowedCommands).toEqual(["npm test", "npx tsc", "make lint", "true"]);
    expect(reviewer.calls[0]?.allowedCommands).toBeUndefined();
  });
});

describe("allowed commands on claude's command line", () => {
  it("each is one --allowedTools rule Bash(<command>:*), always followed by another flag", () => {
    const args = claudeArgs({
      permissionMode: "acceptEdits",
      extraArgs: [],
      allowedCommands: ["npm test", "node --test"],
    });
    const at = args.indexOf("--allowedTools");
    expect(args.slice(at, at + 4)).toEqual([
      "--allowedTools",
      "Bash(npm test:*)",
      "Bash(node --test:*)",
      "--permission-mode",
    ]);
    expect(claudeArgs({ permissionMode: "plan", extraArgs: [] })).not.toContain("--allowedTools");
  });
});
