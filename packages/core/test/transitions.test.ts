import type { IterationTexts } from "@loop/db";
import type { AgentErrorKind } from "@loop/shared";
import { describe, expect, it } from "vitest";
import type { Stalemate } from "../src/findings/index.ts";
import {
  afterCheckStop,
  afterFailure,
  afterReview,
  afterStepError,
  afterWaitCut,
  countedVerdict,
  decidedEnd,
  type FailureInput,
  MAX_REASON_CHARS,
  resumePoint,
  shortReason,
} from "../src/loop/transitions.ts";

const stuck: Stalemate = {
  finding: {
    id: "F2",
    text: "the flag is not parsed",
    status: "open",
    firstIteration: 2,
    lastIteration: 4,
    openSince: 2,
    streak: 3,
    resolvedIteration: null,
  },
  reviews: 3,
  since: 2,
};

describe("afterReview", () => {
  it.each([
    [
      { n: 2, verdict: "DONE", maxIterations: 5, stalemate: null },
      { kind: "finished", status: "done" },
    ],
    [
      { n: 2, verdict: "DONE", maxIterations: 2, stalemate: stuck },
      { kind: "finished", status: "done" },
    ],
    [
      { n: 3, verdict: "ISSUES_FOUND", maxIterations: 5, stalemate: stuck },
      { kind: "finished", status: "needs_attention" },
    ],
    [
      { n: 5, verdict: "ISSUES_FOUND", maxIterations: 5, stalemate: null },
      { kind: "finished", status: "needs_attention" },
    ],
    [
      { n: 2, verdict: "ISSUES_FOUND", maxIterations: 5, stalemate: null },
      { kind: "work", n: 3 },
    ],
  ] as const)("%j → %j", (input, expected) => {
    expect(afterReview(input)).toMatchObject(expected);
  });

  it("names the cap, and quotes the finding that stalled", () => {
    expect(afterReview({ n: 4, verdict: "ISSUES_FOUND", maxIterations: 4, stalemate: null })).toMatchObject({
      reason: "Reached the iteration cap (4) with issues remaining",
    });
    expect(afterReview({ n: 4, verdict: "ISSUES_FOUND", maxIterations: 9, stalemate: stuck })).toMatchObject({
      reason:
        'No progress: Codex reported the same finding in 3 reviews in a row (iterations 2–4); stopped early to save your quota. F2: "the flag is not parsed"',
    });
  });
});

const base: FailureInput = {
  n: 2,
  agent: "codex",
  errorKind: "exit_nonzero",
  error: "codex exited with code 1: boom",
  stop: null,
  pauses: 0,
  maxPauses: 3,
  backoffMs: 60_000,
  marginMs: 30_000,
  now: new Date("2026-12-01T10:00:00Z"),
  retry: { kind: "review", n: 2, workerOutput: "x", check: null },
};

describe("afterFailure", () => {
  const failing: AgentErrorKind[] = [
    "timeout",
    "idle_timeout",
    "spawn_failed",
    "exit_nonzero",
    "agent_error",
    "no_result",
    "empty_output",
  ];
  it.each(failing)("%s fails the task with the agent's reason", (errorKind) => {
    expect(afterFailure({ ...base, errorKind })).toEqual({
      kind: "finished",
      status: "failed",
      reason: base.error,
    });
  });

  it.each([
    [
      { kind: "shutdown" },
      {
        kind: "interrupted",
        reason: "interrupted by a server stop during iteration 2 (codex); resume it to continue from there",
      },
    ],
    [
      { kind: "fault", message: "the disk holding /x is full (ENOSPC); free some space" },
      {
        kind: "interrupted",
        reason:
          "The disk holding /x is full (ENOSPC); free some space: interrupted during iteration 2 (codex); resume it once that is fixed",
      },
    ],
    [
      { kind: "user" },
      {
        kind: "finished",
        status: "cancelled",
        reason: "Cancelled by the user during iteration 2 (codex was stopped)",
      },
    ],
  ] as const)("a stop from outside (%j) wins over the error kind", (stop, expected) => {
    for (const errorKind of [...failing, "cancelled", "usage_limit"] as AgentErrorKind[]) {
      expect(afterFailure({ ...base, errorKind, stop })).toEqual(expected);
    }
  });

  it("a usage limit pauses until the announced reset plus the margin, then repeats the step", () => {
    const p = afterFailure({ ...base, errorKind: "usage_limit", resetsAt: "2026-12-01T11:00:00Z" });
    expect(p).toMatchObject({
      kind: "paused",
      agent: "codex",
      until: new Date("2026-12-01T11:00:30Z"),
      resume: base.retry,
    });
  });

  it("without a reset time it backs off, doubling per pause, and gives up after maxPauses", () => {
    const at = (pauses: number) => afterFailure({ ...base, errorKind: "usage_limit", pauses });
    expect(at(0)).toMatchObject({ until: new Date("2026-12-01T10:01:00Z") });
    expect(at(2)).toMatchObject({ until: new Date("2026-12-01T10:04:00Z") });
    expect(at(3)).toMatchObject({ kind: "finished", status: "failed" });
  });

  it("an agent that was stopped with no stop cause was cancelled", () => {
    expect(afterFailure({ ...base, errorKind: "cancelled" })).toMatchObject({
      kind: "finished",
      status: "cancelled",
    });
  });
});

describe("afterWaitCut and afterStepError", () => {
  it("a cut usage-limit wait is a cancel by the user, or an interruption", () => {
    expect(afterWaitCut({ kind: "user" }, "claude", 1, "r")).toMatchObject({
      kind: "finished",
      status: "cancelled",
    });
    expect(afterWaitCut({ kind: "shutdown" }, "claude", 1, "r")).toMatchObject({ kind: "interrupted" });
    expect(afterWaitCut({ kind: "accept" }, "claude", 1, "r")).toMatchObject({
      kind: "interrupted",
      reason: "stopped while iteration 1 (claude) waited for a usage limit for the user's accept (r)",
    });
  });

  it.each([
    [{ code: "SQLITE_FULL" }, "interrupted", /The disk holding \/d\/loop\.db is full/],
    [{ code: "SQLITE_BUSY" }, "interrupted", /locked by another process/],
    [{ code: "ENOSPC" }, "interrupted", /The disk holding the artifacts folder \/a is full/],
    [{ code: "EROFS" }, "interrupted", /The artifacts folder \/a cannot be written/],
    [
      new TypeError("x is undefined"),
      "finished",
      /Internal error during iteration 1 \(claude\): x is undefined/,
    ],
  ] as const)("%j → %s", (err, kind, reason) => {
    const p = afterStepError(err, "during iteration 1 (claude)", { db: "/d/loop.db", artifacts: "/a" });
    expect(p.kind).toBe(kind);
    expect("reason" in p && p.reason).toMatch(reason);
  });
});

const it_ = (n: number, o: Partial<IterationTexts>): IterationTexts => ({
  n,
  status: "done",
  verdict: "ISSUES_FOUND",
  claudeOutput: `c${n}`,
  review: `r${n}`,
  ...o,
});

describe("resumePoint", () => {
  it.each([
    ["nothing run yet", [], 3, { kind: "work", n: 1 }, 0],
    ["after a finished iteration", [it_(1, {})], 3, { kind: "work", n: 2 }, 1],
    [
      "claude finished, codex did not",
      [it_(1, {}), it_(2, { status: "interrupted", review: null, verdict: null })],
      3,
      { kind: "review", n: 2, workerOutput: "c2", check: null },
      1,
    ],
    [
      "claude did not finish",
      [it_(1, {}), it_(2, { status: "failed", claudeOutput: null, review: null, verdict: null })],
      3,
      { kind: "work", n: 2 },
      1,
    ],
    [
      "a cancelled codex run",
      [it_(1, { status: "cancelled", review: null, verdict: null })],
      3,
      { kind: "review", n: 1, workerOutput: "c1", check: null },
      0,
    ],
  ] as const)("%s", (_name, iterations, cap, phase, historyLength) => {
    const p = resumePoint(iterations, cap);
    expect(p.ok && p.phase).toEqual(phase);
    expect(p.ok && p.history.length).toBe(historyLength);
  });

  it("refuses past the cap (extra iterations raise it) and after DONE", () => {
    expect(resumePoint([it_(1, {}), it_(2, {})], 2)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cap \(2\)/),
    });
    expect(resumePoint([it_(1, {}), it_(2, {})], 3)).toMatchObject({
      ok: true,
      phase: { kind: "work", n: 3 },
    });
    expect(resumePoint([it_(1, { verdict: "DONE" })], 3)).toMatchObject({ ok: false });
  });

  it("at the cap of 100 it does not offer extraIterations (they cannot raise it)", () => {
    const done = Array.from({ length: 100 }, (_, i) => it_(i + 1, {}));
    expect(resumePoint(done, 100)).toEqual({
      ok: false,
      reason: "it reached its iteration cap (100); that is the most a task may have: retry it to start over",
    });
    expect(resumePoint(done.slice(0, 99), 99)).toEqual({
      ok: false,
      reason: "it reached its iteration cap (99); resume it with extraIterations to run more",
    });
  });

  it("the history holds the finished iterations' texts from the database", () => {
    const p = resumePoint(
      [it_(1, {}), it_(2, {}), it_(3, { status: "interrupted", review: null, verdict: null })],
      5,
    );
    expect(p.ok && p.history).toEqual([
      { n: 1, workerOutput: "c1", review: "r1", verdict: "ISSUES_FOUND" },
      { n: 2, workerOutput: "c2", review: "r2", verdict: "ISSUES_FOUND" },
    ]);
  });
});

describe("shortReason (the reason banner)", () => {
  it("keeps a short error as it is, on one line", () => {
    expect(shortReason("codex exited with code 1:\n  boom")).toBe("codex exited with code 1: boom");
  });

  it("clips a long error to its first sentence, or to ~300 characters at a word", () => {
    const sentence = "claude exited with code 0 without a result line: the model said so.";
    expect(shortReason(`${sentence} ${"more words ".repeat(100)}`)).toBe(`${sentence} …`);
    const words = shortReason(`claude exited with code 1: ${"word ".repeat(200)}`);
    expect(words.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 1);
    expect(words).toMatch(/word…$/);
    const blob = shortReason(`x${"y".repeat(5000)}`);
    expect(blob).toHaveLength(MAX_REASON_CHARS + 1);
  });

  it("a failed task's reason is the short form; the whole text is the agent's error", () => {
    const error = `claude exited with code 1: ${"detail ".repeat(1000)}`;
    const next = afterFailure({ ...base, errorKind: "exit_nonzero", error });
    expect(next).toMatchObject({ kind: "finished", status: "failed" });
    expect((next as { reason: string }).reason).toBe(shortReason(error));
    expect((next as { reason: string }).reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS + 1);
  });
});

describe("decidedEnd (what recovery finishes instead of pausing)", () => {
  it.each([
    [
      "DONE stored",
      [it_(1, {}), it_(2, { verdict: "DONE" })],
      5,
      null,
      "done",
      /STATUS: DONE in iteration 2/,
    ],
    ["the cap reached", [it_(1, {}), it_(2, {})], 2, null, "needs_attention", /iteration cap \(2\)/],
    ["a stalemate", [it_(1, {}), it_(2, {})], 5, stuck, "needs_attention", /^No progress/],
  ] as const)("%s → finished", (_name, iterations, cap, stalemate, status, reason) => {
    expect(decidedEnd(iterations, cap, stalemate)).toEqual({
      kind: "finished",
      status,
      reason: expect.stringMatching(reason),
    });
  });

  it.each([
    ["nothing run", [], 3],
    ["issues left below the cap", [it_(1, {})], 3],
    [
      "codex's review not stored",
      [it_(1, {}), it_(2, { status: "running", review: null, verdict: null })],
      2,
    ],
    ["interrupted", [it_(1, { status: "interrupted", review: null, verdict: null })], 1],
  ] as const)("%s → null (the task is paused)", (_name, iterations, cap) => {
    expect(decidedEnd(iterations, cap, null)).toBeNull();
  });
});

describe("the check in the phase machine", () => {
  const failing = {
    command: "npm test",
    exitCode: 1,
    ok: false,
    durationMs: 5,
    timedOut: false,
    output: "1 failing",
  };
  const passing = { ...failing, exitCode: 0, ok: true, output: "ok" };
  const review = { n: 1, maxIterations: 3, stalemate: null, reviewer: "codex" as const };

  it("a DONE while the check fails goes on; a passing check never turns ISSUES_FOUND into DONE", () => {
    expect(afterReview({ ...review, verdict: "DONE", check: failing })).toEqual({ kind: "work", n: 2 });
    expect(afterReview({ ...review, verdict: "DONE", check: passing })).toMatchObject({ status: "done" });
    expect(afterReview({ ...review, verdict: "ISSUES_FOUND", check: passing })).toEqual({
      kind: "work",
      n: 2,
    });
    expect(countedVerdict("DONE", failing)).toBe("ISSUES_FOUND");
    expect(countedVerdict("DONE", null)).toBe("DONE");
  });

  it("at the cap with a failing check: needs_attention naming the command and its exit code", () => {
    expect(afterReview({ ...review, n: 3, verdict: "DONE", check: failing })).toEqual({
      kind: "finished",
      status: "needs_attention",
      reason: "Reached the iteration cap (3) with the check failing: `npm test` exited with code 1",
    });
    expect(
      afterReview({
        ...review,
        n: 3,
        verdict: "DONE",
        check: { ...failing, exitCode: null, timedOut: true },
      }),
    ).toMatchObject({
      reason: expect.stringContaining("`npm test` timed out"),
    });
  });

  it("a stop during the check: a server stop pauses (resumable), a cancel cancels", () => {
    expect(afterCheckStop({ kind: "shutdown" }, 2)).toEqual({
      kind: "interrupted",
      reason:
        "interrupted by a server stop during the check of iteration 2; resume it to continue from there",
    });
    expect(afterCheckStop({ kind: "user" }, 2)).toMatchObject({ kind: "finished", status: "cancelled" });
  });

  it("resumes with the check when the worker's answer is stored but no check result; with the review once it is", () => {
    const roles = { worker: "claude", reviewer: "codex", checkCommand: "npm test" } as const;
    const open = it_(2, { status: "interrupted", review: null, verdict: null, check: null });
    const p = resumePoint([it_(1, {}), open], 3, roles);
    expect(p).toMatchObject({ ok: true, phase: { kind: "check", n: 2, workerOutput: "c2" } });
    expect(p.ok && p.from).toBe("the check of iteration 2 (claude's answer is kept)");
    const checked = { ...open, check: { exitCode: 1, ok: false, durationMs: 3 }, checkOutput: "boom" };
    expect(resumePoint([it_(1, {}), checked], 3, roles)).toMatchObject({
      ok: true,
      phase: { kind: "review", n: 2, check: { command: "npm test", exitCode: 1, ok: false, output: "boom" } },
    });
    // A task without a check goes straight to the review, as before.
    expect(resumePoint([it_(1, {}), open], 3)).toMatchObject({ phase: { kind: "review", check: null } });
  });
});
