import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers.ts";

/** The check fields of a task (contract: "Checks: done means verified") through the API. */
let t: TestApp;
afterEach(() => t?.close());

const post = (body: object) =>
  t.api({
    method: "POST",
    url: "/api/tasks",
    payload: body,
    headers: { "content-type": "application/json" },
  });

describe("checks through the API", () => {
  const base = { title: "t", prompt: "p", workingDir: "/tmp" };
  it.each([
    [{ checkCommand: "" }, "checkCommand: must not be empty"],
    [{ checkCommand: "   " }, "checkCommand: must not be empty"],
    [{ checkCommand: "x".repeat(2001) }, "checkCommand: must be at most 2,000 characters"],
    [{ checkTimeoutMs: 999 }, "checkTimeoutMs: must be at least 1000"],
    [{ checkTimeoutMs: 3_600_001 }, "checkTimeoutMs: must be at most 3600000"],
    [{ checkTimeoutMs: 1500.5 }, "checkTimeoutMs: must be a whole number"],
    [{ allowedCommands: "npm test" }, "allowedCommands: must be a list of commands"],
    [
      { allowedCommands: Array.from({ length: 51 }, (_, i) => `c${i}`) },
      "allowedCommands: must hold at most 50 commands",
    ],
    [{ allowedCommands: [""] }, "allowedCommands.0: must not be empty"],
  ])("400 invalid_body for %j", async (extra, message) => {
    t = await createTestApp();
    const r = await post({ ...base, ...extra });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toEqual({ code: "invalid_body", message });
  });

  it("a task keeps its check and commands; one that names none takes LOOP_CHECK_COMMAND / LOOP_CHECK_TIMEOUT_MS", async () => {
    t = await createTestApp({ LOOP_CHECK_COMMAND: "npm test", LOOP_CHECK_TIMEOUT_MS: "5000" });
    const dir = t.workdir();
    const own = await post({
      ...base,
      workingDir: dir,
      checkCommand: "make check",
      checkTimeoutMs: 2000,
      allowedCommands: ["make lint"],
    });
    expect(own.statusCode).toBe(201);
    expect(own.json().task).toMatchObject({
      checkCommand: "make check",
      checkTimeoutMs: 2000,
      allowedCommands: ["make lint"],
    });
    const plain = await post({ ...base, workingDir: dir });
    expect(plain.json().task).toMatchObject({
      checkCommand: "npm test",
      checkTimeoutMs: 5000,
      allowedCommands: [],
    });
  });

  it("GET /api/health says which permission mode and allowed commands are in force", async () => {
    t = await createTestApp({
      LOOP_CHECK_COMMAND: "npm test",
      LOOP_ALLOWED_COMMANDS: "npx tsc, make lint\nnpm test",
    });
    const r = await t.api({ method: "GET", url: "/api/health" });
    expect(r.json().permissions).toEqual({
      mode: "acceptEdits",
      allowedCommands: ["npx tsc", "make lint", "npm test"],
      checkCommand: "npm test",
    });
  });
});
