import { describe, expect, it } from "vitest";
import {
  addUsage,
  CreateTaskBody,
  claudeOnly,
  codexOnly,
  describeZodError,
  ERROR_STATUS,
  emptyUsage,
  isTerminal,
  readUsage,
  sumUsage,
} from "../src/index.ts";

const ok = { title: "Fix it", prompt: "Do the thing", workingDir: "/tmp" };
const issueOf = (body: unknown) => {
  const r = CreateTaskBody.safeParse(body);
  return r.success ? null : { path: r.error.issues[0]!.path.join("."), message: r.error.issues[0]!.message };
};

describe("CreateTaskBody", () => {
  it("accepts a minimal and a full body", () => {
    expect(CreateTaskBody.parse(ok)).toEqual(ok);
    const swapped = { ...ok, worker: "codex", reviewer: "claude" };
    expect(CreateTaskBody.parse(swapped)).toEqual(swapped);
    expect(CreateTaskBody.parse({ ...ok, maxIterations: 100 }).maxIterations).toBe(100);
  });
  it.each([
    [{ ...ok, title: "" }, "title", /empty/],
    [{ ...ok, title: "   " }, "title", /^must not be empty$/],
    [{ ...ok, title: "x".repeat(201) }, "title", /200/],
    [{ ...ok, title: 5 }, "title", /^must be text$/],
    [{ ...ok, prompt: "" }, "prompt", /empty/],
    [{ ...ok, maxCostUsd: 0 }, "maxCostUsd", /greater than 0/],
    [{ ...ok, maxCostUsd: "1" }, "maxCostUsd", /number/],
    [{ ...ok, maxCodexTokens: 1.5 }, "maxCodexTokens", /integer/],
    [{ ...ok, prompt: "x".repeat(100_001) }, "prompt", /100,000/],
    [{ ...ok, workingDir: "relative/dir" }, "workingDir", /absolute/],
    [{ ...ok, maxIterations: 0 }, "maxIterations", /at least 1/],
    [{ ...ok, maxIterations: 101 }, "maxIterations", /at most 100/],
    [{ ...ok, maxIterations: 2.5 }, "maxIterations", /whole number/],
    [{ ...ok, maxIterations: "3" }, "maxIterations", /number/],
    [{ ...ok, extra: 1 }, "", /extra/],
    [{ prompt: "p", workingDir: "/tmp" }, "title", /^is required$/],
    [{ ...ok, worker: "gemini" }, "worker", /^must be "claude" or "codex"$/],
    [{ ...ok, reviewer: 1 }, "reviewer", /^must be "claude" or "codex"$/],
    [
      { ...ok, worker: "codex", reviewer: "codex" },
      "reviewer",
      /^must be a different agent from the worker$/,
    ],
  ])("rejects %j on %s", (body, path, message) => {
    const issue = issueOf(body);
    expect(issue?.path).toBe(path);
    expect(issue?.message).toMatch(message);
  });
});

describe("describeZodError", () => {
  it("names each field once, with one problem each, in words for people", () => {
    const r = CreateTaskBody.safeParse({ title: "", prompt: " ", workingDir: "", maxIterations: 0.5 });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toBe(
      "title: must not be empty; prompt: must not be empty; workingDir: must not be empty; maxIterations: must be a whole number",
    );
  });
});

describe("helpers", () => {
  it("adds usage within each agent, never across them", () => {
    const claude = claudeOnly({ ...emptyUsage().claude, inputTokens: 12_345, costUsd: 0.5, turns: 2 });
    const codex = codexOnly({ ...emptyUsage().codex, inputTokens: 4321, reasoningTokens: 7 });
    const u = addUsage(addUsage(emptyUsage(), claude), codex);
    // The bug this replaces showed 16 666 input tokens: 12 345 + 4 321 added across agents.
    expect(u.claude.inputTokens).toBe(12_345);
    expect(u.codex.inputTokens).toBe(4321);
    expect(u.claude).toMatchObject({ costUsd: 0.5, turns: 2 });
    expect(u.codex).toMatchObject({ reasoningTokens: 7 });
    expect(sumUsage([u, u]).claude.inputTokens).toBe(24_690);
    expect(sumUsage([u, u]).codex.inputTokens).toBe(8642);
  });
  it("reads a stored usage of the old combined shape keeping only its (claude) cost", () => {
    const old = {
      inputTokens: 16_666,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      costUsd: 0.02,
    };
    expect(readUsage(old)).toEqual({
      claude: { ...emptyUsage().claude, costUsd: 0.02 },
      codex: emptyUsage().codex,
    });
    expect(
      readUsage(addUsage(emptyUsage(), claudeOnly({ ...emptyUsage().claude, turns: 3 }))).claude.turns,
    ).toBe(3);
  });
  it("knows terminal statuses and error statuses", () => {
    expect(isTerminal("done")).toBe(true);
    expect(isTerminal("running")).toBe(false);
    expect(ERROR_STATUS.queue_full).toBe(429);
  });
});
