import { describe, expect, it } from "vitest";
import {
  addUsage,
  CreateTaskBody,
  describeZodError,
  ERROR_STATUS,
  emptyUsage,
  isTerminal,
} from "../src/index.ts";

const ok = { title: "Fix it", prompt: "Do the thing", workingDir: "/tmp" };
const issueOf = (body: unknown) => {
  const r = CreateTaskBody.safeParse(body);
  return r.success ? null : { path: r.error.issues[0]!.path.join("."), message: r.error.issues[0]!.message };
};

describe("CreateTaskBody", () => {
  it("accepts a minimal and a full body", () => {
    expect(CreateTaskBody.parse(ok)).toEqual(ok);
    expect(CreateTaskBody.parse({ ...ok, maxIterations: 100 }).maxIterations).toBe(100);
  });
  it.each([
    [{ ...ok, title: "" }, "title", /empty/],
    [{ ...ok, title: "   " }, "title", /^must not be empty$/],
    [{ ...ok, title: "x".repeat(201) }, "title", /200/],
    [{ ...ok, title: 5 }, "title", /^must be text$/],
    [{ ...ok, prompt: "" }, "prompt", /empty/],
    [{ ...ok, prompt: "x".repeat(100_001) }, "prompt", /100,000/],
    [{ ...ok, workingDir: "relative/dir" }, "workingDir", /absolute/],
    [{ ...ok, maxIterations: 0 }, "maxIterations", /at least 1/],
    [{ ...ok, maxIterations: 101 }, "maxIterations", /at most 100/],
    [{ ...ok, maxIterations: 2.5 }, "maxIterations", /whole number/],
    [{ ...ok, maxIterations: "3" }, "maxIterations", /number/],
    [{ ...ok, extra: 1 }, "", /extra/],
    [{ prompt: "p", workingDir: "/tmp" }, "title", /^is required$/],
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
  it("adds usage, keeping cost null when unknown", () => {
    const u = addUsage(emptyUsage(), { ...emptyUsage(), inputTokens: 3, costUsd: 0.5 });
    expect(u).toMatchObject({ inputTokens: 3, costUsd: 0.5 });
    expect(addUsage(emptyUsage(), emptyUsage()).costUsd).toBeNull();
  });
  it("knows terminal statuses and error statuses", () => {
    expect(isTerminal("done")).toBe(true);
    expect(isTerminal("running")).toBe(false);
    expect(ERROR_STATUS.queue_full).toBe(429);
  });
});
