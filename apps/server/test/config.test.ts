import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSchema, forgetSecrets, loadConfig } from "../src/config.ts";

describe("loadConfig", () => {
  it("applies the contract's defaults", () => {
    const c = loadConfig({}, "/srv");
    expect(c).toMatchObject({
      port: 4170,
      host: "127.0.0.1",
      dbPath: "/srv/loop.db",
      artifactsDir: "/srv/.loops",
      claudeBin: "claude",
      codexBin: "codex",
      maxIterations: 10,
      iterationTimeoutMs: 1_800_000,
      maxQueueDepth: 5,
      token: undefined,
      claudePermissionMode: "acceptEdits",
      claudeArgs: [],
      codexArgs: [],
      sseHeartbeatMs: 15_000,
      sseMaxConnections: 64,
      rateLimitPerMinute: 120,
      allowedRoots: [],
      maxCostUsd: null,
      maxCodexTokens: null,
      pauseAtUtilization: null,
    });
  });

  it("reads the budgets and the utilization threshold", () => {
    const c = loadConfig({
      LOOP_MAX_COST_USD: "2.50",
      LOOP_MAX_CODEX_TOKENS: "500000",
      LOOP_PAUSE_AT_UTILIZATION: "90",
    });
    expect(c).toMatchObject({ maxCostUsd: 2.5, maxCodexTokens: 500_000, pauseAtUtilization: 90 });
  });

  it("splits LOOP_ALLOWED_ROOTS on ':'", () => {
    expect(loadConfig({ LOOP_ALLOWED_ROOTS: "/home/me/code::/srv/work/" }).allowedRoots).toEqual([
      "/home/me/code",
      "/srv/work",
    ]);
  });

  it("drops the token from the environment agents inherit", () => {
    const env: NodeJS.ProcessEnv = { LOOP_TOKEN: "x".repeat(16), PATH: "/bin" };
    expect(loadConfig(env).token).toBe("x".repeat(16));
    forgetSecrets(env);
    expect(env).toEqual({ PATH: "/bin" });
  });

  it("parses values and splits extra agent args on spaces", () => {
    const c = loadConfig(
      { PORT: "8080", LOOP_CLAUDE_ARGS: " --model  opus ", LOOP_MAX_ITERATIONS: "100" },
      "/",
    );
    expect(c.port).toBe(8080);
    expect(c.claudeArgs).toEqual(["--model", "opus"]);
    expect(c.maxIterations).toBe(100);
  });

  it("accepts every permission mode current and older claude versions take, and log levels", () => {
    for (const mode of ["acceptEdits", "auto", "bypassPermissions", "default", "dontAsk", "manual", "plan"]) {
      expect(loadConfig({ LOOP_CLAUDE_PERMISSION_MODE: mode }).claudePermissionMode).toBe(mode);
    }
    expect(loadConfig({}).logLevel).toBe("info");
    expect(loadConfig({ LOG_LEVEL: "warn" }).logLevel).toBe("warn");
  });

  it.each([
    ["PORT", "70000", /PORT.*at most 65535/],
    ["PORT", "abc", /PORT.*whole number/],
    ["LOOP_MAX_ITERATIONS", "101", /LOOP_MAX_ITERATIONS.*at most 100/],
    ["LOOP_MAX_ITERATIONS", "0", /LOOP_MAX_ITERATIONS.*at least 1/],
    ["LOOP_ITERATION_TIMEOUT_MS", "0", /LOOP_ITERATION_TIMEOUT_MS.*at least 1/],
    ["LOOP_MAX_QUEUE_DEPTH", "-1", /LOOP_MAX_QUEUE_DEPTH/],
    ["LOOP_TOKEN", "short", /LOOP_TOKEN.*16/],
    ["LOOP_CLAUDE_PERMISSION_MODE", "yolo", /LOOP_CLAUDE_PERMISSION_MODE must be one of/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL must be one of fatal, error, warn, info/],
    ["LOOP_RATE_LIMIT_PER_MINUTE", "0", /LOOP_RATE_LIMIT_PER_MINUTE.*at least 1/],
    ["LOOP_ALLOWED_ROOTS", "/ok:relative/dir", /LOOP_ALLOWED_ROOTS entries must be absolute paths/],
    ["LOOP_MAX_OUTPUT_MB", "0", /LOOP_MAX_OUTPUT_MB.*at least 1/],
    ["LOOP_EXIT_GRACE_MS", "5", /LOOP_EXIT_GRACE_MS.*at least 100/],
    ["LOOP_MAX_COST_USD", "0", /LOOP_MAX_COST_USD must be greater than 0/],
    ["LOOP_MAX_COST_USD", "$5", /LOOP_MAX_COST_USD must be a number of dollars/],
    ["LOOP_MAX_CODEX_TOKENS", "0", /LOOP_MAX_CODEX_TOKENS.*at least 1/],
    ["LOOP_PAUSE_AT_UTILIZATION", "101", /LOOP_PAUSE_AT_UTILIZATION.*at most 100/],
    ["LOOP_NOTIFY_URL", "ftp://example.com/x", /LOOP_NOTIFY_URL.*http/],
    ["LOOP_NOTIFY_URL", "not a url", /LOOP_NOTIFY_URL.*http/],
  ])("rejects %s=%s with a message naming it", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("documents every variable in the README table with its default", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const source = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");
    for (const name of Object.keys(ConfigSchema.shape)) {
      const comment = source.match(new RegExp(`// ${name} — (.+?) — `));
      expect(comment, `config.ts comment for ${name}`).toBeTruthy();
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${name}\``) || l.startsWith(`| ${name} `));
      expect(row, `README row for ${name}`).toBeTruthy();
      expect(row).toContain(comment![1]!.replace(/^\((.*)\)$/, "$1"));
    }
  });
});
