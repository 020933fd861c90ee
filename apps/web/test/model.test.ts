import { emptyClaudeUsage, emptyUsage } from "@loop/shared";
import { describe, expect, it } from "vitest";
import {
  applyEvents,
  checkLine,
  commandLine,
  createTaskView,
  finishedLine,
} from "../src/features/task/model.ts";
import { newTaskBody } from "../src/features/tasks/newTaskBody.ts";
import { eventStream } from "./events.ts";

describe("applyEvents", () => {
  it("builds one section per iteration with each agent's lines, verdict and outcome", () => {
    const s = eventStream();
    const view = createTaskView();
    applyEvents(view, [
      s.ev("task.created", { title: "t", workingDir: "/w", maxIterations: 3 }),
      s.ev("task.started", {}),
      s.ev("iteration.started", { n: 1 }, 1),
      s.ev("agent.started", { agent: "claude", pid: 42, argv: ["/usr/bin/claude", "--print"] }, 1),
      s.out(1, "one"),
      s.out(1, "two"),
      s.ev("agent.finished", { agent: "claude", exitCode: 0, durationMs: 1500, ok: true }, 1),
      s.ev("agent.started", { agent: "codex", pid: 43, argv: ["codex", "exec", "-"] }, 1),
      s.out(1, "STATUS: ISSUES_FOUND", {}, "codex"),
      s.ev("review.verdict", { status: "ISSUES_FOUND", firstLine: "STATUS: ISSUES_FOUND" }, 1),
      s.ev("agent.finished", { agent: "codex", exitCode: 0, durationMs: 500, ok: true }, 1),
      s.ev("iteration.finished", { n: 1, verdict: "ISSUES_FOUND", status: "done" }, 1),
      s.ev("iteration.started", { n: 2 }, 2),
    ]);
    expect(view.iterations.map((it) => it.n)).toEqual([1, 2]);
    const [it1] = view.iterations;
    expect(it1!.claude.lines.map((l) => [l.kind, l.text])).toEqual([
      ["meta", "$ claude --print   (pid 42)"],
      ["stdout", "one"],
      ["stdout", "two"],
      ["meta", "✓ claude finished in 1.5 s (exit code 0)"],
    ]);
    expect(it1!.claude.outputLines).toBe(2);
    expect(it1!.codex.outputLines).toBe(1);
    expect(it1!.verdict).toEqual({ status: "ISSUES_FOUND", firstLine: "STATUS: ISSUES_FOUND" });
    expect(it1!.outcome).toEqual({ verdict: "ISSUES_FOUND", status: "done" });
    expect(view.lastEventId).toBe(13);
  });

  it("keeps each iteration's latest changes, the whole task's, and the latest ledger", () => {
    const s = eventStream();
    const view = createTaskView();
    const recorded = (scope: "iteration" | "task", artifact: string, summary: string, n: number | null) =>
      s.ev("changes.recorded", { scope, artifact, summary, files: 1, added: 1, deleted: 0 }, n);
    const finding = { id: "F1", text: "x", firstIteration: 1, lastIteration: 1, streak: 1 };
    applyEvents(view, [
      recorded("iteration", "001-changes.md", "first", 1),
      recorded("task", "changes.md", "task so far", null),
      recorded("iteration", "001-changes.md", "again", 1),
      s.ev("findings.updated", {
        findings: [{ ...finding, status: "open", openSince: 1, resolvedIteration: null }],
        opened: ["F1"],
        resolved: [],
      }),
    ]);
    expect(view.iterations[0]?.changes).toMatchObject({
      artifact: "001-changes.md",
      summary: "again",
      id: 3,
    });
    expect(view.iterations[0]?.changes?.taskId).toBe("t1");
    expect(view.iterations[0]?.changes?.iteration).toBe(1);
    expect(view.changes).toMatchObject({ artifact: "changes.md", summary: "task so far" });
    expect(view.findings?.map((f) => [f.id, f.status])).toEqual([["F1", "open"]]);
  });

  it("never applies an event twice (replay after reload or reconnect overlaps)", () => {
    const s = eventStream();
    const events = [s.out(1, "a"), s.out(1, "b"), s.out(1, "c")];
    const view = createTaskView();
    expect(applyEvents(view, events.slice(0, 2))).toBe(true);
    expect(applyEvents(view, events)).toBe(true);
    expect(applyEvents(view, events)).toBe(false);
    expect(view.iterations[0]!.claude.lines.map((l) => l.text)).toEqual(["a", "b", "c"]);
  });

  it("rejoins a line split into pieces, keeping the parsed form of the last piece", () => {
    const s = eventStream();
    const view = createTaskView();
    applyEvents(view, [
      s.out(1, "x".repeat(5), { final: false }),
      s.ev("agent.output", { agent: "claude", stream: "stderr", line: "warn" }, 1),
      s.out(1, "y".repeat(5), { continuation: true, final: false }),
    ]);
    const log = view.iterations[0]!.claude;
    expect(log.lines.map((l) => l.text)).toEqual(["xxxxxyyyyy", "warn"]);
    applyEvents(view, [
      s.out(1, "zz", { continuation: true, final: true, parsed: { kind: "text", text: "readable" } }),
      s.out(1, "next"),
    ]);
    expect(log.lines.map((l) => l.text)).toEqual(["xxxxxyyyyyzz", "warn", "next"]);
    expect(log.lines[0]!.parsed).toEqual({ kind: "text", text: "readable" });
    expect(log.outputLines).toBe(3);
    expect(log.open).toEqual({});
  });

  it("numbers the output lines as the header counts them, meta lines unnumbered, split lines once", () => {
    const s = eventStream();
    const view = createTaskView();
    applyEvents(view, [
      s.ev("agent.started", { agent: "claude", pid: 42, argv: ["claude", "--print"] }, 1),
      s.out(1, "one"),
      s.out(1, "x", { final: false }),
      s.out(1, "y", { continuation: true, final: true }),
      s.ev("agent.output", { agent: "claude", stream: "stderr", line: "warn" }, 1),
      s.ev("agent.finished", { agent: "claude", exitCode: 0, durationMs: 10, ok: true }, 1),
    ]);
    const log = view.iterations[0]!.claude;
    expect(log.lines.map((l) => [l.n, l.text])).toEqual([
      [undefined, "$ claude --print   (pid 42)"],
      [1, "one"],
      [2, "xy"],
      [3, "warn"],
      [undefined, "✓ claude finished in 0.0 s (exit code 0)"],
    ]);
    expect(log.outputLines).toBe(3);
  });

  it("ends a cancelled run's log with 'cancelled', not 'failed (exit code 0)'", () => {
    const d = { agent: "claude" as const, durationMs: 2100, ok: false };
    expect(finishedLine({ ...d, exitCode: 0, errorKind: "cancelled", error: "claude was stopped" })).toBe(
      "■ claude was cancelled after 2.1 s",
    );
    expect(finishedLine({ ...d, exitCode: 1, errorKind: "exit_nonzero", error: "boom" })).toBe(
      "✗ claude failed after 2.1 s (exit code 1): boom",
    );
  });

  it("records warnings, pauses, usage, cancel requests and the end", () => {
    const s = eventStream();
    const view = createTaskView();
    const usage = { ...emptyUsage(), claude: { ...emptyClaudeUsage(), inputTokens: 10, costUsd: 0.01 } };
    applyEvents(view, [
      s.ev("task.warning", { message: "careful" }, 1),
      s.ev(
        "task.paused",
        { agent: "claude", reason: "usage limit", resumeAt: "2026-01-01T01:00:00Z", attempt: 1 },
        1,
      ),
      s.ev("task.usage", { agent: "claude", usage, total: usage }, 1),
    ]);
    expect(view.warnings.map((w) => w.message)).toEqual(["careful"]);
    expect(view.paused?.reason).toBe("usage limit");
    expect(view.iterations[0]!.claude.lines.at(-1)?.text).toBe("Paused: usage limit");
    expect(view.usage?.claude.costUsd).toBe(0.01);
    applyEvents(view, [
      s.ev("task.resumed", { agent: "claude" }),
      s.ev("task.cancel_requested", {}),
      s.ev("task.finished", { status: "cancelled", reason: "Cancelled by the user" }),
    ]);
    expect(view.paused).toBeNull();
    expect(view.cancelRequested).toBe(true);
    expect(view.finished?.status).toBe("cancelled");
  });

  it("marks a second run of the same agent in an iteration", () => {
    const s = eventStream();
    const view = createTaskView();
    applyEvents(view, [
      s.ev("agent.started", { agent: "claude", pid: 1, argv: ["claude"] }, 1),
      s.ev("agent.finished", { agent: "claude", exitCode: 1, durationMs: 100, ok: false, error: "limit" }, 1),
      s.ev("agent.started", { agent: "claude", pid: 2, argv: ["claude"] }, 1),
    ]);
    const log = view.iterations[0]!.claude;
    expect(log.lines.map((l) => l.text)).toEqual([
      "$ claude   (pid 1)",
      "✗ claude failed after 0.1 s (exit code 1): limit",
      "— run again —",
      "$ claude   (pid 2)",
    ]);
    expect(log.finished).toBeNull();
  });

  it("holds a 100 000-line log applied in one batch", () => {
    const s = eventStream();
    const events = Array.from({ length: 100_000 }, (_, i) => s.out(1, `line ${i + 1}`));
    const view = createTaskView();
    applyEvents(view, events);
    const log = view.iterations[0]!.claude;
    expect(log.lines.length).toBe(100_000);
    expect(log.lines[99_999]!.text).toBe("line 100000");
  });
});

describe("commandLine", () => {
  it("shows the binary's base name and quotes arguments that need it", () => {
    expect(commandLine(["/opt/bin/codex", "exec", "--sandbox", "read-only", "-"], 7)).toBe(
      "$ codex exec --sandbox read-only -   (pid 7)",
    );
    expect(commandLine(["claude", "--append-system-prompt", "it's here"], null)).toBe(
      "$ claude --append-system-prompt 'it'\\''s here'",
    );
  });
});

describe("loop's check in the task view", () => {
  it("keeps the check's command, output lines (split ones rejoined) and result per iteration; a rerun is marked", () => {
    const s = eventStream();
    const view = createTaskView();
    applyEvents(view, [
      s.ev("iteration.started", { n: 1 }, 1),
      s.ev("check.started", { command: "npm test" }, 1),
      s.ev("check.output", { stream: "stdout", line: "1 passing" }, 1),
      s.ev("check.output", { stream: "stderr", line: "ab", final: false }, 1),
      s.ev("check.output", { stream: "stderr", line: "cd", continuation: true, final: true }, 1),
      s.ev(
        "check.finished",
        { command: "npm test", exitCode: 1, ok: false, durationMs: 2300, timedOut: false },
        1,
      ),
      s.ev("check.started", { command: "npm test" }, 1),
    ]);
    const check = view.iterations[0]!.check!;
    expect(check.command).toBe("npm test");
    expect(check.lines.map((l) => [l.kind, l.text])).toEqual([
      ["meta", "$ sh -c 'npm test'"],
      ["stdout", "1 passing"],
      ["stderr", "abcd"],
      ["meta", "check FAILED (exit 1, 2.3 s)"],
      ["meta", "— run again —"],
      ["meta", "$ sh -c 'npm test'"],
    ]);
    expect(check.outputLines).toBe(2);
    // Started again (a resume after a server stop): no result until it finishes.
    expect(check.finished).toBeNull();
    expect(checkLine({ command: "x", exitCode: null, ok: false, durationMs: 1000, timedOut: true })).toBe(
      "check timed out (killed) (exit –, 1.0 s)",
    );
  });

  it("the form sends the check command only when one is typed", () => {
    const f = { title: "t", prompt: "p", workingDir: "/w", maxIterations: "", isolate: false };
    expect(newTaskBody({ ...f, checkCommand: "  npm test " })).toMatchObject({ checkCommand: "npm test" });
    expect(newTaskBody({ ...f, checkCommand: "  " })).not.toHaveProperty("checkCommand");
  });
});
