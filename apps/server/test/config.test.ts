import { readFileSync } from "node:fs";
import { DEFAULTS, envName, resolveSettings, SettingsSchema } from "@loop/core";
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
      defaultMaxIterations: 10,
      iterationTimeoutMs: 1_800_000,
      maxQueueDepth: 5,
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
    expect(c.token).toBeUndefined();
  });

  it("reads the budgets and the utilization threshold", () => {
    const c = loadConfig({
      LOOP_MAX_COST_USD: "2.50",
      LOOP_MAX_CODEX_TOKENS: "500000",
      LOOP_PAUSE_AT_UTILIZATION: "90",
    });
    expect(c).toMatchObject({ maxCostUsd: 2.5, maxCodexTokens: 500_000, pauseAtUtilization: 90 });
  });

  it("casts the roles: LOOP_WORKER / LOOP_REVIEWER, never one agent in both", () => {
    expect(loadConfig({})).toMatchObject({ worker: "claude", reviewer: "codex" });
    expect(loadConfig({ LOOP_WORKER: "codex", LOOP_REVIEWER: "claude" })).toMatchObject({
      worker: "codex",
      reviewer: "claude",
    });
    // Naming one part gives the other to the other agent.
    expect(loadConfig({ LOOP_WORKER: "codex" })).toMatchObject({ worker: "codex", reviewer: "claude" });
    expect(loadConfig({ LOOP_REVIEWER: "claude" })).toMatchObject({ worker: "codex", reviewer: "claude" });
    expect(() => loadConfig({ LOOP_WORKER: "codex", LOOP_REVIEWER: "codex" })).toThrow(
      'LOOP_REVIEWER="codex": must be a different agent from LOOP_WORKER',
    );
    expect(() => loadConfig({ LOOP_WORKER: "gemini" })).toThrow(
      'LOOP_WORKER="gemini": LOOP_WORKER must be one of claude, codex',
    );
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
    expect(c.defaultMaxIterations).toBe(100);
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
    ["LOOP_MAX_CODEX_TOKENS", "9007199254740992", /LOOP_MAX_CODEX_TOKENS must be at most 9007199254740991$/],
    ["LOOP_PAUSE_AT_UTILIZATION", "101", /LOOP_PAUSE_AT_UTILIZATION.*at most 100/],
    ["LOOP_NOTIFY_URL", "ftp://example.com/x", /LOOP_NOTIFY_URL.*http/],
    ["LOOP_NOTIFY_URL", "not a url", /LOOP_NOTIFY_URL.*http/],
  ])("rejects %s=%s with a message naming it", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("says every problem at once, each line naming the variable and its value", () => {
    expect(() => loadConfig({ PORT: "70000", LOOP_MAX_OUTPUT_MB: "0", LOOP_TOKEN: "" })).toThrow(
      'Invalid configuration:\n  LOOP_MAX_OUTPUT_MB="0": LOOP_MAX_OUTPUT_MB must be at least 1\n  PORT="70000": PORT must be at most 65535',
    );
  });

  it("names a prompt file that cannot be read", () => {
    expect(() => loadConfig({ LOOP_CODEX_PROMPT_FILE: "nope.md" }, "/nowhere")).toThrow(
      'Invalid configuration:\n  LOOP_CODEX_PROMPT_FILE="nope.md": cannot read /nowhere/nope.md (ENOENT)',
    );
  });

  it("gives the run loop's settings as the core takes them, with the core's defaults", () => {
    const c = loadConfig({ LOOP_MAX_OUTPUT_MB: "2", LOOP_CODEX_ARGS: "-m o3" }, "/srv");
    expect(c.maxOutputBytes).toBe(2 * 1024 * 1024);
    expect(c.codexArgs).toEqual(["-m", "o3"]);
    const { artifactsDir, ...rest } = DEFAULTS;
    expect(resolveSettings(c)).toMatchObject({
      ...rest,
      maxOutputBytes: 2 * 1024 * 1024,
      codexArgs: ["-m", "o3"],
    });
    for (const key of Object.keys(SettingsSchema.shape)) expect(ConfigSchema.shape).toHaveProperty(key);
  });
});

/** The rows of every `| variable | default | meaning |` table in a Markdown file. */
function configRows(file: string): Array<{ name: string; def: string }> {
  const lines = readFileSync(new URL(`../../../${file}`, import.meta.url), "utf8").split("\n");
  const rows: Array<{ name: string; def: string }> = [];
  let inTable = false;
  for (const line of lines) {
    if (/^\| variable \| default \| meaning \|$/.test(line)) inTable = true;
    else if (!line.startsWith("|")) inTable = false;
    else if (inTable && !line.startsWith("|---")) {
      const [name = "", def = ""] = line
        .split("|")
        .slice(1, 3)
        .map((c) => c.trim().replaceAll("`", ""));
      rows.push({ name, def });
    }
  }
  return rows;
}

describe("the configuration tables", () => {
  const fields = new Map(
    Object.values(ConfigSchema.shape).flatMap((f) => {
      const name = envName(f);
      return name ? [[name, f] as const] : [];
    }),
  );
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

  it.each(["docs/configuration.md", "README.md"])(
    "%s names only variables loop reads, each with its default",
    (file) => {
      const rows = configRows(file);
      expect(rows.length).toBeGreaterThan(5);
      for (const { name, def } of rows) {
        const field = fields.get(name);
        expect(field, `${file}: ${name} is not in the config schema`).toBeDefined();
        const value = field!.parse(undefined);
        // A default with a value must be written as you would set it; "none", "off", … stand for no value.
        if (!empty(value)) expect(field!.parse(def), `${file}: default of ${name}`).toEqual(value);
      }
    },
  );

  it("docs/configuration.md documents every variable, once", () => {
    const names = configRows("docs/configuration.md").map((r) => r.name);
    expect([...names].sort()).toEqual([...fields.keys()].sort());
  });

  it("the README's rows say what docs/configuration.md says", () => {
    const full = new Map(configRows("docs/configuration.md").map((r) => [r.name, r.def]));
    for (const { name, def } of configRows("README.md")) expect(def, name).toBe(full.get(name));
  });
});
