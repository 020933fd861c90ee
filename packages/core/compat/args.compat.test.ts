import { existsSync } from "node:fs";
import { join } from "node:path";
import { type EventOf, emptyUsage, type LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const finished = (t: { status: string }) => t.status !== "queued" && t.status !== "running";
const jsonLines = (events: LoopEvent[], agent: "claude" | "codex") =>
  events
    .filter((e): e is EventOf<"agent.output"> => e.type === "agent.output" && e.data.agent === agent)
    .filter((e) => e.data.stream === "stdout" && e.data.line.startsWith("{"))
    .map((e) => JSON.parse(e.data.line) as Record<string, unknown>);

describe("extra arguments, usage and budget with the real CLIs", () => {
  // Extra arguments go through as given (LOOP_CLAUDE_ARGS / LOOP_CODEX_ARGS): each CLI must accept
  // the whole argv, including the --max-budget-usd loop adds for a task's budget (LOOP_MAX_COST_USD).
  const suite = compatSuite({
    env: {
      LOOP_MAX_COST_USD: "0.5",
      LOOP_CLAUDE_ARGS: "--model claude-sonnet-4-5",
      LOOP_CODEX_ARGS: "--model gpt-5.5",
    },
  });

  it("records usage and cost per agent as the CLIs report them, and each CLI accepts loop's exact argv", async () => {
    const { loop } = suite;
    const wd = loop.workdir();
    const ask = "Count the files [usage]";
    loop.model.script({
      claude: [
        {
          match: ask,
          replies: [
            { tool: { bash: "ls" }, usage: { input: 1000, output: 50, cacheRead: 2000, cacheWrite: 300 } },
            {
              text: "There are no files.",
              usage: { input: 1200, output: 80, cacheRead: 2500, cacheWrite: 0 },
            },
          ],
        },
      ],
      codex: [
        {
          match: ask,
          replies: [
            {
              tool: { bash: "ls -a" },
              usage: { input: 3000, cacheRead: 1000, cacheWrite: 500, output: 120, reasoning: 40 },
            },
            { text: "STATUS: DONE", usage: { input: 3300, cacheRead: 2900, output: 60, reasoning: 0 } },
          ],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxIterations: 1 });
    const events = await loop.events(task.id);
    expect(events.at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });

    const started = events.filter((e): e is EventOf<"agent.started"> => e.type === "agent.started");
    expect(started.map((e) => e.data.argv)).toEqual([
      [
        loop.clis.claude.bin,
        "--print",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-partial-messages",
        "--permission-mode",
        "acceptEdits",
        "--max-budget-usd",
        "0.5",
        "--model",
        "claude-sonnet-4-5",
      ],
      [
        loop.clis.codex.bin,
        "exec",
        "--sandbox",
        "read-only",
        "--skip-git-repo-check",
        "--json",
        "-o",
        join(loop.dir, "loops", task.id, "001-codex-output.md"),
        "-C",
        wd,
        "--model",
        "gpt-5.5",
        "-",
      ],
    ]);
    expect(loop.model.calls("claude").map((r) => (r.body as { model: string }).model)).toEqual([
      "claude-sonnet-4-5",
      "claude-sonnet-4-5",
    ]);
    expect(loop.model.calls("codex").map((r) => (r.body as { model: string }).model)).toEqual([
      "gpt-5.5",
      "gpt-5.5",
    ]);

    // What each CLI reported on its last line ...
    const result = jsonLines(events, "claude").find((j) => j.type === "result")!;
    const turn = jsonLines(events, "codex").find((j) => j.type === "turn.completed")!;
    expect(result.usage).toMatchObject({
      input_tokens: 2200,
      output_tokens: 130,
      cache_read_input_tokens: 4500,
      cache_creation_input_tokens: 300,
    });
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(turn.usage).toMatchObject({
      input_tokens: 6300,
      cached_input_tokens: 3900,
      cache_write_input_tokens: 500,
      output_tokens: 180,
      reasoning_output_tokens: 40,
    });
    // ... is what loop recorded per agent, per iteration and for the task.
    const usage = events.filter((e): e is EventOf<"task.usage"> => e.type === "task.usage");
    const claudeUsage = {
      costUsd: result.total_cost_usd,
      inputTokens: 2200,
      outputTokens: 130,
      cacheReadTokens: 4500,
      cacheWriteTokens: 300,
      turns: result.num_turns,
      apiMs: result.duration_api_ms,
    };
    const codexUsage = {
      inputTokens: 6300,
      cachedInputTokens: 3900,
      cacheWriteTokens: 500,
      outputTokens: 180,
      reasoningTokens: 40,
    };
    expect(usage.map((e) => [e.data.agent, e.data.usage])).toEqual([
      ["claude", { ...emptyUsage(), claude: claudeUsage }],
      ["codex", { ...emptyUsage(), codex: codexUsage }],
    ]);
    const { task: finished, iterations } = await loop.waitForTask(task.id, (t) => t.status === "done");
    // Kept apart: Claude's 2200 input tokens and Codex's 6300 are never one number.
    const total = { claude: claudeUsage, codex: codexUsage };
    expect(finished.usage).toEqual(total);
    expect(iterations[0]!.usage).toEqual(total);
  });

  it("stops at claude's --max-budget-usd and keeps what the run cost", async () => {
    const { loop } = suite;
    const wd = loop.workdir();
    const ask = "Expensive work [budget]";
    loop.model.script({
      claude: [
        {
          match: ask,
          replies: [
            {
              text: "Step one.",
              tool: { bash: "echo one > one.txt" },
              usage: { input: 200_000, output: 500 },
            },
            { text: "Step two." },
          ],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: wd, maxCostUsd: 0.5 });
    const { task: t } = await loop.waitForTask(task.id, finished);
    const runs = (await loop.events(task.id)).filter((e) => e.type === "agent.started");
    // loop passed what was left of the task's budget (all of it, before the first run).
    expect(runs[0]).toMatchObject({ data: { argv: expect.arrayContaining(["--max-budget-usd", "0.5"]) } });
    expect(t.status).toBe("needs_attention");
    expect(t.statusReason).toBe(`Budget reached: $${t.usage.claude.costUsd.toFixed(4)} spent of $0.5`);
    // The turn that crossed the budget is the last: its tool call never ran.
    expect(existsSync(join(wd, "one.txt"))).toBe(false);
    expect(loop.model.calls("claude")).toHaveLength(1);
    // The result line's usage is all zeros; the tokens are in its modelUsage.
    expect(t.usage.claude).toMatchObject({ inputTokens: 200_000, outputTokens: 500 });
    expect(t.usage.claude.costUsd).toBeGreaterThan(0.5);
  });
});
