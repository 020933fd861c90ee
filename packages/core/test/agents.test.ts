import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { emptyClaudeUsage, emptyCodexUsage } from "@loop/shared";
import { describe, expect, it } from "vitest";
import {
  ClaudeStream,
  CodexStream,
  codexRateLimits,
  probeAgent,
  runClaude,
  runCodex,
} from "../src/agents/index.ts";
import { isAlive } from "../src/runner/index.ts";

const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));
const FAKE_CLAUDE = fixture("fake-claude.mjs");
const FAKE_CODEX = fixture("fake-codex.mjs");
const realLines = (name: string) =>
  readFileSync(fixture(`real/${name}`), "utf8")
    .split("\n")
    .filter(Boolean);

function workdir(scenario: object): string {
  const dir = mkdtempSync(join(tmpdir(), "loop-agents-"));
  writeFileSync(join(dir, ".fake-scenario.json"), JSON.stringify(scenario));
  return dir;
}

const base = (cwd: string) => ({
  extraArgs: [],
  prompt: "Do the task",
  cwd,
  timeoutMs: 20_000,
  graceMs: 300,
  onLine: () => {},
});

describe("ClaudeStream on the real CLI's output", () => {
  it("reads claude 2.1.331's not-logged-in run as an error result with the CLI's own text", () => {
    const s = new ClaudeStream();
    const parsed = realLines("claude-2.1.331-not-logged-in.jsonl").map((l) => s.push(l));
    expect(parsed.map((p) => p?.kind)).toEqual(["system", "error", "error"]);
    expect(parsed[0]?.text).toContain("session started");
    expect(s.result).toMatchObject({ isError: true, text: "Not logged in · Please run /login" });
  });

  it("ignores lines that are not JSON", () => {
    const s = new ClaudeStream();
    expect(s.push("plain text")).toBeUndefined();
    expect(s.result).toBeUndefined();
  });

  it("reads 2.1.332's budget stop: no result text, the reason in `errors`, the tokens only in modelUsage", () => {
    const s = new ClaudeStream();
    for (const l of realLines("claude-2.1.332-max-budget.jsonl")) s.push(l);
    expect(s.result).toMatchObject({
      isError: true,
      subtype: "error_max_budget_usd",
      text: "Reached maximum budget ($0.05)",
      usage: { inputTokens: 20_000, outputTokens: 500, costUsd: 0.09, turns: 1, apiMs: 0 },
    });
  });

  it("reads 2.1.332's usage per run: total_cost_usd, the four token counts, num_turns, duration_api_ms", () => {
    const s = new ClaudeStream();
    for (const l of realLines("claude-2.1.332-rate-limit-warning.jsonl")) s.push(l);
    expect(s.result?.usage).toEqual({
      costUsd: 0.0004,
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      turns: 1,
      apiMs: 96,
    });
  });

  it("keeps the latest state of each window from 2.1.332's rate_limit_event lines", () => {
    const s = new ClaudeStream();
    for (const l of realLines("claude-2.1.332-rate-limit-warning.jsonl")) s.push(l);
    expect([...s.windows.values()]).toEqual([
      {
        status: "allowed_warning",
        resetsAt: 1796161270,
        rateLimitType: "five_hour",
        utilization: 92,
        overage: { isUsingOverage: false },
      },
    ]);
    // A later event of another window is kept beside it; one of the same window replaces it.
    const seven = {
      status: "allowed",
      resetsAt: 1796500000,
      rateLimitType: "seven_day",
      isUsingOverage: false,
    };
    s.push(JSON.stringify({ type: "rate_limit_event", rate_limit_info: { ...seven, utilization: 40 } }));
    const five = { status: "rejected", resetsAt: 1796161270, rateLimitType: "five_hour" };
    s.push(JSON.stringify({ type: "rate_limit_event", rate_limit_info: five }));
    expect([...s.windows.values()].map((w) => [w.rateLimitType, w.status, w.utilization])).toEqual([
      ["five_hour", "rejected", null],
      ["seven_day", "allowed", 40],
    ]);
  });

  it("reads 2.1.332's subscription usage limit: rate_limit_event rejected, api_error usage_limit_reached", () => {
    const s = new ClaudeStream();
    const parsed = realLines("claude-2.1.332-usage-limit.jsonl").map((l) => s.push(l));
    expect(parsed[1]).toEqual({
      kind: "rate_limit",
      text: "5-hour window: limit reached · 100% used · resets 2026-12-01 21:41 UTC",
    });
    expect(s.rateLimit).toMatchObject({
      status: "rejected",
      resetsAt: 1796161270,
      rateLimitType: "five_hour",
      utilization: 100,
    });
    expect(s.result).toMatchObject({
      isError: true,
      apiErrorStatus: 429,
      apiError: "usage_limit_reached",
      text: "You've hit your 5-hour limit · resets 9:41pm (UTC)",
    });
  });

  it("reads 2.1.332's rate_limit_event: the window warns under unifiedWindows while the top status says allowed", () => {
    const s = new ClaudeStream();
    const parsed = realLines("claude-2.1.332-rate-limit-warning.jsonl").map((l) => s.push(l));
    expect(parsed[2]).toEqual({
      kind: "rate_limit",
      text: "5-hour window: close to the limit · 92% used · resets 2026-12-01 21:41 UTC",
    });
    expect(s.result).toMatchObject({ isError: false, text: "Fixed." });
  });

  it("reads 2.1.332's refusal of a tool call in acceptEdits mode as a warning", () => {
    const s = new ClaudeStream();
    const parsed = realLines("claude-2.1.332-permission-denied.jsonl").map((l) => s.push(l));
    expect(parsed[2]).toEqual({
      kind: "warning",
      text: "permission denied · Bash: This command requires approval",
    });
    expect(s.permissionDenials).toEqual(["Bash: This command requires approval"]);
    expect(s.result).toMatchObject({ isError: false, text: "Could not run it." });
  });
});

describe("CodexStream on the real CLI's output", () => {
  it("reads codex 0.169.0 without a network as reconnect notices, with no failure yet", () => {
    const s = new CodexStream();
    const parsed = realLines("codex-0.169.0-offline.jsonl").map((l) => s.push(l));
    expect(s.threadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsed.filter((p) => p?.kind === "retry").length).toBeGreaterThan(3);
    expect(s.failure).toBeNull();
    expect(s.completed).toBe(false);
    expect(s.lastMessage).toBe("");
  });
});

describe("CodexStream on codex 0.171.0's output", () => {
  it("reads a review with a command, its message and usage (cache writes included)", () => {
    const s = new CodexStream();
    const parsed = realLines("codex-0.171.0-review.jsonl").map((l) => s.push(l));
    expect(parsed[3]).toEqual({ kind: "command", text: "$ /bin/bash -lc 'cat made.txt' (exit 0)" });
    expect(s.lastMessage).toBe("STATUS: DONE");
    expect(s.completed).toBe(true);
    expect(s.usage).toEqual({
      inputTokens: 400,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 60,
      reasoningTokens: 0,
    });
  });

  it("reads 0.171.0's subscription windows from its rollout file's token_count line", () => {
    expect(codexRateLimits(realLines("codex-0.171.0-rollout-rate-limits.jsonl"))).toEqual([
      { status: "allowed", resetsAt: 1796172402, rateLimitType: "five_hour", utilization: 85, overage: null },
      { status: "allowed", resetsAt: 1796258802, rateLimitType: "seven_day", utilization: 40, overage: null },
    ]);
    expect(codexRateLimits(realLines("codex-0.171.0-review.jsonl"))).toEqual([]);
  });

  it("reads a usage limit as a failed turn whose text names the reset time", () => {
    const s = new CodexStream();
    for (const l of realLines("codex-0.171.0-usage-limit.jsonl")) s.push(l);
    expect(s.failure).toMatch(/^You’ve hit your usage limit\. .* or try again at 10:43 PM\.$/);
  });
});

describe("runClaude against the fake CLI", () => {
  it("succeeds with the result line's text and its usage", async () => {
    const cwd = workdir({ claude: [{ kind: "ok", text: "All done." }] });
    const lines: string[] = [];
    const r = await runClaude({
      ...base(cwd),
      bin: FAKE_CLAUDE,
      permissionMode: "acceptEdits",
      onLine: (_s, l) => lines.push(l),
    });
    expect(r).toMatchObject({ ok: true, output: "All done.", exitCode: 0 });
    // Claude's side only: a claude run never puts a number on Codex's side.
    if (r.ok)
      expect(r.usage).toEqual({
        claude: {
          ...emptyClaudeUsage(),
          costUsd: 0.0123,
          inputTokens: 1200,
          outputTokens: 340,
          cacheReadTokens: 800,
          cacheWriteTokens: 100,
          turns: 1,
          apiMs: 1000,
        },
        codex: emptyCodexUsage(),
      });
    expect(lines.length).toBeGreaterThan(3);
    const call = JSON.parse(readFileSync(join(cwd, ".fake-state/claude-1.json"), "utf8"));
    expect(call.prompt).toBe("Do the task");
    expect(call.argv).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--include-partial-messages",
      "--permission-mode",
      "acceptEdits",
    ]);
  });

  it("with --include-partial-messages the text grows live through onPartial and is stored once, whole", async () => {
    const text = "The answer, written in pieces: ünïcødé ✓ 😀";
    const cwd = workdir({ claude: [{ kind: "ok", text, partialPieces: 5 }] });
    const lines: string[] = [];
    const partials: string[] = [];
    const r = await runClaude({
      ...base(cwd),
      bin: FAKE_CLAUDE,
      permissionMode: "acceptEdits",
      onLine: (_s, l) => lines.push(l),
      onPartial: (soFar) => partials.push(soFar),
    });
    expect(r).toMatchObject({ ok: true, output: text });
    // Growing: each is a prefix of the next, the last is the whole text (per message).
    const last = partials.filter((p) => text.startsWith(p));
    expect(last.at(-1)).toBe(text);
    expect(last.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < last.length; i++) expect(last[i]!.startsWith(last[i - 1]!)).toBe(true);
    // No stream_event line is an output line; the text is in exactly one stored assistant line.
    expect(lines.some((l) => l.includes('"stream_event"'))).toBe(false);
    expect(lines.filter((l) => l.includes('"type":"assistant"') && l.includes("ünïcødé")).length).toBe(1);
  });

  it.each([
    [
      { kind: "is_error", text: "Not logged in · Please run /login" },
      "agent_error",
      "Not logged in · Please run /login",
    ],
    [{ kind: "no_result", code: 0 }, "no_result", "without a result line"],
    [
      { kind: "exit", code: 2, stderr: "error: unknown option '--bogus'" },
      "exit_nonzero",
      "unknown option '--bogus'",
    ],
    [
      { kind: "is_error", text: "Claude AI usage limit reached|1795600000", apiErrorStatus: 429 },
      "usage_limit",
      "usage limit reached",
    ],
    [{ kind: "usage_limit", resetsAt: 1795600000 }, "usage_limit", "You've hit your 5-hour limit · resets"],
    [{ kind: "budget" }, "budget_exceeded", "claude exited with code 1: Reached maximum budget ($0.05)"],
  ])("%j fails as %s with a reason that says %j", async (step, kind, text) => {
    const r = await runClaude({
      ...base(workdir({ claude: [step] })),
      bin: FAKE_CLAUDE,
      permissionMode: "acceptEdits",
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errorKind).toBe(kind);
    expect(r.error).toContain(text);
  });

  it("a usage limit with a rate_limit_event resets when the event says, to the second", async () => {
    const cwd = workdir({ claude: [{ kind: "usage_limit", resetsAt: 1795600123 }] });
    const r = await runClaude({ ...base(cwd), bin: FAKE_CLAUDE, permissionMode: "acceptEdits" });
    expect(r).toMatchObject({
      ok: false,
      errorKind: "usage_limit",
      resetsAt: new Date(1795600123_000).toISOString(),
      // The loop stores this window (loop-budgets.test.ts: a rejected window pauses until its reset).
      rateLimits: [
        { status: "rejected", rateLimitType: "five_hour", utilization: 100, resetsAt: 1795600123 },
      ],
    });
  });

  it("a budget stop is budget_exceeded and keeps the tokens and the cost claude reports", async () => {
    const cwd = workdir({ claude: [{ kind: "budget", cost: 0.07 }] });
    const r = await runClaude({ ...base(cwd), bin: FAKE_CLAUDE, permissionMode: "acceptEdits" });
    expect(r).toMatchObject({
      ok: false,
      errorKind: "budget_exceeded",
      usage: { claude: { inputTokens: 20_000, outputTokens: 500, costUsd: 0.07 } },
    });
  });

  it("passes what is left of the budget as --max-budget-usd; a run costing more stops in the CLI", async () => {
    const cwd = workdir({ claude: [{ kind: "ok", cost: 0.0787 }] });
    const r = await runClaude({
      ...base(cwd),
      bin: FAKE_CLAUDE,
      permissionMode: "acceptEdits",
      maxBudgetUsd: 0.03,
    });
    const call = JSON.parse(readFileSync(join(cwd, ".fake-state/claude-1.json"), "utf8"));
    expect(call.argv).toContain("--max-budget-usd");
    expect(call.argv[call.argv.indexOf("--max-budget-usd") + 1]).toBe("0.03");
    expect(r).toMatchObject({
      ok: false,
      errorKind: "budget_exceeded",
      error: "claude exited with code 1: Reached maximum budget ($0.03)",
      usage: { claude: { costUsd: 0.0787 } },
    });
  });

  it("succeeds with warnings when the subscription is close to its limit or a tool call was refused", async () => {
    const cwd = workdir({
      claude: [
        {
          kind: "ok",
          text: "Done.",
          denied: true,
          rateLimit: { status: "allowed_warning", utilization: 0.9, resetsAt: 1795600000 },
        },
      ],
    });
    const r = await runClaude({ ...base(cwd), bin: FAKE_CLAUDE, permissionMode: "acceptEdits" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warning).toContain(
      "claude's 5-hour window: close to the limit · 90% used · resets 2026-11-25 09:46 UTC",
    );
    expect(r.warning).toContain(
      "claude was refused 1 tool call(s) (LOOP_CLAUDE_PERMISSION_MODE=acceptEdits): Bash: This command requires approval",
    );
  });

  it("an empty result text falls back to the last assistant message, with a warning", async () => {
    const cwd = workdir({ claude: [{ kind: "ok", text: "Fixed the parser.", emptyResult: true }] });
    const r = await runClaude({ ...base(cwd), bin: FAKE_CLAUDE, permissionMode: "acceptEdits" });
    expect(r).toMatchObject({ ok: true, output: "Fixed the parser." });
    if (r.ok) expect(r.warning).toContain("result line was empty");
  });

  it("an agent that answers but never exits succeeds after exitGraceMs, and its process is stopped", async () => {
    const cwd = workdir({ claude: [{ kind: "ok", text: "Answered.", linger: true }] });
    let pid: number | undefined;
    const r = await runClaude({
      ...base(cwd),
      bin: FAKE_CLAUDE,
      permissionMode: "acceptEdits",
      exitGraceMs: 300,
      onStart: (i) => {
        pid = i.pid;
      },
    });
    expect(r).toMatchObject({ ok: true, output: "Answered." });
    if (r.ok)
      expect(r.warning).toBe(
        "claude did not exit within 300 ms after its result; its process tree was stopped",
      );
    expect(isAlive(pid!)).toBe(false);
  });

  it("a missing binary fails as spawn_failed, naming the path", async () => {
    const r = await runClaude({ ...base(tmpdir()), bin: "/nowhere/claude", permissionMode: "acceptEdits" });
    expect(r).toMatchObject({ ok: false, errorKind: "spawn_failed" });
    if (!r.ok) expect(r.error).toContain("/nowhere/claude");
  });
});

describe("runCodex against the fake CLI", () => {
  const out = (cwd: string) => join(cwd, "codex-output.md");

  it("returns the -o file's text", async () => {
    const cwd = workdir({ codex: [{ kind: "review", text: "STATUS: DONE\nGood." }] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd) });
    expect(r).toMatchObject({ ok: true, output: "STATUS: DONE\nGood." });
    const call = JSON.parse(readFileSync(join(cwd, ".fake-state/codex-1.json"), "utf8"));
    expect(call.argv).toEqual([
      "exec",
      "--sandbox",
      "read-only",
      "--skip-git-repo-check",
      "--json",
      "-o",
      out(cwd),
      "-C",
      cwd,
      "-",
    ]);
  });

  it("resumes a thread with `exec [OPTIONS] resume <thread_id> -`, which keeps its id", async () => {
    const thread = "0199a213-81c0-7800-8aa1-bbab2a035a51";
    const cwd = workdir({ codex: [{ kind: "review", text: "STATUS: DONE" }] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd), resume: thread });
    expect(r).toMatchObject({ ok: true, output: "STATUS: DONE", sessionId: thread });
    const call = JSON.parse(readFileSync(join(cwd, ".fake-state/codex-1.json"), "utf8"));
    expect(call.argv).toEqual([
      "exec",
      "--sandbox",
      "read-only",
      "--skip-git-repo-check",
      "--json",
      "-o",
      out(cwd),
      "-C",
      cwd,
      "resume",
      thread,
      "-",
    ]);
  });

  it("the fake codex refuses -C after `resume`, as the real one does", async () => {
    const cwd = workdir({ codex: [{ kind: "review", text: "STATUS: DONE" }] });
    const r = await runCodex({
      ...base(cwd),
      bin: FAKE_CODEX,
      outputFile: out(cwd),
      extraArgs: ["resume", "x", "-C", cwd],
    });
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error).toContain("unexpected argument '-C'");
  });

  it("a review that never exits afterwards still counts, after exitGraceMs", async () => {
    const cwd = workdir({ codex: [{ kind: "review", text: "STATUS: DONE", linger: true }] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd), exitGraceMs: 300 });
    expect(r).toMatchObject({ ok: true, output: "STATUS: DONE" });
    if (r.ok) expect(r.warning).toContain("codex did not exit within 300 ms after its review");
  });

  it("falls back to the last agent_message when the -o file is missing", async () => {
    const cwd = workdir({ codex: [{ kind: "review", text: "STATUS: ISSUES_FOUND\n- x", noFile: true }] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd) });
    expect(r).toMatchObject({ ok: true, output: "STATUS: ISSUES_FOUND\n- x" });
  });

  it.each([
    [{ kind: "empty" }, "empty_output", "empty"],
    [
      { kind: "failed_turn", message: "unexpected status 401 Unauthorized", retries: 2 },
      "agent_error",
      "401 Unauthorized",
    ],
    [{ kind: "usage_limit" }, "usage_limit", "usage limit"],
    [
      { kind: "exit", code: 1, stderr: "Error: config.toml: invalid" },
      "exit_nonzero",
      "config.toml: invalid",
    ],
  ])("%j fails as %s with a reason that says %j", async (step, kind, text) => {
    const cwd = workdir({ codex: [step] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errorKind).toBe(kind);
    expect(r.error).toContain(text);
    if (kind === "usage_limit") expect(r.resetsAt).toMatch(/^\d{4}-/);
  });

  it("offline (reconnect notices forever) ends at the idle timeout", async () => {
    const cwd = workdir({ codex: [{ kind: "offline", intervalMs: 30 }] });
    const r = await runCodex({ ...base(cwd), bin: FAKE_CODEX, outputFile: out(cwd), idleTimeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, errorKind: "idle_timeout" });
    if (!r.ok) expect(r.error).toContain("made no progress");
  });
});

describe("probeAgent", () => {
  it("reports version and login state of each fake CLI", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-probe-"));
    mkdirSync(dir, { recursive: true });
    await expect(probeAgent("claude", FAKE_CLAUDE)).resolves.toMatchObject({
      found: true,
      version: "2.1.332 (Claude Code)",
      loggedIn: true,
    });
    await expect(probeAgent("codex", FAKE_CODEX)).resolves.toMatchObject({
      found: true,
      version: "codex-cli 0.171.0",
      loggedIn: true,
    });
  });

  it("a CLI that is not logged in is a warning with a hint, not 'not found'", async () => {
    process.env.FAKE_LOGGED_IN = "0";
    try {
      const h = await probeAgent("codex", FAKE_CODEX);
      expect(h).toMatchObject({ found: true, loggedIn: false });
      expect(h.error).toContain("codex login status");
    } finally {
      delete process.env.FAKE_LOGGED_IN;
    }
  });

  it("a missing binary is not found, with what to do", async () => {
    const h = await probeAgent("codex", "/nowhere/codex");
    expect(h).toMatchObject({ found: false, version: null, loggedIn: null });
    expect(h.error).toContain("LOOP_CODEX_BIN");
  });
});
