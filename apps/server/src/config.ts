import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { checkTemplate, DEFAULTS, type PromptAgent } from "@loop/core";
import { MAX_ITERATIONS_LIMIT } from "@loop/shared";
import { z } from "zod";

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`),
    );

/** A positive number of dollars, e.g. "2.50". */
const dollars = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${name} must be a number of dollars, e.g. 2.50`)
    .transform(Number)
    .pipe(z.number().positive(`${name} must be greater than 0`));

const words = z
  .string()
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .default([]);

// claude 2.1.331 accepts acceptEdits, auto, bypassPermissions, manual, dontAsk, plan; older ones
// also took "default" (docs/real-cli-check.md).
const PERMISSION_MODES = [
  "acceptEdits",
  "auto",
  "bypassPermissions",
  "default",
  "dontAsk",
  "manual",
  "plan",
] as const;
/** `:`-separated absolute paths (like PATH); empty entries are ignored. */
const roots = z
  .string()
  .transform((s) => s.split(":").filter(Boolean))
  .pipe(z.array(z.string().refine(isAbsolute, "LOOP_ALLOWED_ROOTS entries must be absolute paths")))
  .default([]);

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const LOG_FORMATS = ["auto", "pretty", "json"] as const;

/**
 * Every environment variable loop reads. Each line: variable — default — meaning.
 * The README's configuration table mirrors this list (a test keeps them in sync).
 */
export const ConfigSchema = z.object({
  // PORT — 4170 — HTTP port; the server binds 127.0.0.1 only
  PORT: int("PORT", 0, 65535).default(4170),
  // LOOP_DB_PATH — ./loop.db — SQLite file
  LOOP_DB_PATH: z.string().min(1).default("./loop.db"),
  // LOOP_ARTIFACTS_DIR — ./.loops — artifact root
  LOOP_ARTIFACTS_DIR: z.string().min(1).default("./.loops"),
  // LOOP_CLAUDE_BIN — claude — Claude CLI path or name on PATH
  LOOP_CLAUDE_BIN: z.string().min(1).default(DEFAULTS.claudeBin),
  // LOOP_CODEX_BIN — codex — Codex CLI path or name on PATH
  LOOP_CODEX_BIN: z.string().min(1).default(DEFAULTS.codexBin),
  // LOOP_MAX_ITERATIONS — 10 — default iteration cap (a task may ask for up to 100)
  LOOP_MAX_ITERATIONS: int("LOOP_MAX_ITERATIONS", 1, MAX_ITERATIONS_LIMIT).default(
    DEFAULTS.defaultMaxIterations,
  ),
  // LOOP_ITERATION_TIMEOUT_MS — 1800000 — wall-clock limit for one agent run
  LOOP_ITERATION_TIMEOUT_MS: int("LOOP_ITERATION_TIMEOUT_MS", 1, 2 ** 31 - 1).default(
    DEFAULTS.iterationTimeoutMs,
  ),
  // LOOP_IDLE_TIMEOUT_MS — 600000 — stop an agent that makes no progress (no output, or only retry notices) for this long (0 = off)
  LOOP_IDLE_TIMEOUT_MS: int("LOOP_IDLE_TIMEOUT_MS", 0, 2 ** 31 - 1).default(DEFAULTS.idleTimeoutMs),
  // LOOP_KILL_GRACE_MS — 3000 — after SIGINT, how long an agent may take to exit before SIGKILL
  LOOP_KILL_GRACE_MS: int("LOOP_KILL_GRACE_MS", 0, 60_000).default(DEFAULTS.killGraceMs),
  // LOOP_MAX_QUEUE_DEPTH — 5 — most queued (not yet running) tasks; past it POST returns 429
  LOOP_MAX_QUEUE_DEPTH: int("LOOP_MAX_QUEUE_DEPTH", 1, 10_000).default(DEFAULTS.maxQueueDepth),
  // LOOP_TOKEN — random, kept next to the database — the access token (min 16 characters)
  LOOP_TOKEN: z.string().min(16, "LOOP_TOKEN must be at least 16 characters").optional(),
  // LOOP_CLAUDE_PERMISSION_MODE — acceptEdits — claude --permission-mode for headless runs
  LOOP_CLAUDE_PERMISSION_MODE: z
    .enum(PERMISSION_MODES, {
      error: `LOOP_CLAUDE_PERMISSION_MODE must be one of ${PERMISSION_MODES.join(", ")}`,
    })
    .default(DEFAULTS.claudePermissionMode),
  // LOOP_CLAUDE_ARGS — (none) — extra claude arguments, split on spaces (no shell), e.g. "--model opus"
  LOOP_CLAUDE_ARGS: words,
  // LOOP_CODEX_ARGS — (none) — extra codex exec arguments, split on spaces (no shell)
  LOOP_CODEX_ARGS: words,
  // LOOP_STALL_ITERATIONS — 3 — stop (needs_attention) when one finding stays open this many reviews in a row (however reworded); 0 = off
  LOOP_STALL_ITERATIONS: int("LOOP_STALL_ITERATIONS", 0, 100).default(DEFAULTS.stallIterations),
  // LOOP_EXIT_GRACE_MS — 10000 — after an agent has answered, how long it may take to exit before its tree is stopped (the run still succeeds)
  LOOP_EXIT_GRACE_MS: int("LOOP_EXIT_GRACE_MS", 100, 600_000).default(DEFAULTS.exitGraceMs),
  // LOOP_MAX_OUTPUT_MB — 32 — most output stored per agent run; past it lines are counted, not stored (the run goes on)
  LOOP_MAX_OUTPUT_MB: int("LOOP_MAX_OUTPUT_MB", 1, 100_000).default(DEFAULTS.maxOutputBytes / 1024 / 1024),
  // LOG_LEVEL — info — server log level (fatal, error, warn, info, debug, trace, silent); logs go to stdout
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` })
    .default("info"),
  // LOG_FORMAT — auto — pretty (one readable line per entry) when stdout is a terminal, json (one JSON object per line) otherwise; or pretty, json
  LOG_FORMAT: z
    .enum(LOG_FORMATS, { error: `LOG_FORMAT must be one of ${LOG_FORMATS.join(", ")}` })
    .default("auto"),
  // LOOP_SSE_HEARTBEAT_MS — 15000 — interval of the ": ping" comment on event streams
  LOOP_SSE_HEARTBEAT_MS: int("LOOP_SSE_HEARTBEAT_MS", 10, 15_000).default(15_000),
  // LOOP_DB_BUSY_TIMEOUT_MS — 5000 — how long a write waits for another process's lock on the database (a backup, an sqlite3 shell) before the running task is paused
  LOOP_DB_BUSY_TIMEOUT_MS: int("LOOP_DB_BUSY_TIMEOUT_MS", 10, 600_000).default(DEFAULTS.dbBusyTimeoutMs),
  // LOOP_SSE_MAX_CONNECTIONS — 64 — concurrent event streams; past it 503
  LOOP_SSE_MAX_CONNECTIONS: int("LOOP_SSE_MAX_CONNECTIONS", 1, 10_000).default(64),
  // LOOP_RATE_LIMIT_PER_MINUTE — 120 — most mutating API requests (POST, DELETE) per client and minute; past it 429
  LOOP_RATE_LIMIT_PER_MINUTE: int("LOOP_RATE_LIMIT_PER_MINUTE", 1, 1_000_000).default(120),
  // LOOP_MAX_COST_USD — no budget — a task's claude budget in dollars, as claude reports its cost (total_cost_usd), when the task names none (maxCostUsd)
  LOOP_MAX_COST_USD: dollars("LOOP_MAX_COST_USD").optional(),
  // LOOP_MAX_CODEX_TOKENS — no budget — a task's Codex token budget (input + output tokens), when the task names none (maxCodexTokens)
  LOOP_MAX_CODEX_TOKENS: int("LOOP_MAX_CODEX_TOKENS", 1, Number.MAX_SAFE_INTEGER).optional(),
  // LOOP_PAUSE_AT_UTILIZATION — off — percent 1–100: a new iteration waits while any subscription window is used this much or more, until that window resets
  LOOP_PAUSE_AT_UTILIZATION: int("LOOP_PAUSE_AT_UTILIZATION", 1, 100).optional(),
  // LOOP_ALLOWED_ROOTS — (any directory) — `:`-separated directories tasks may run in (after resolving symlinks); others get 400 invalid_working_dir
  LOOP_ALLOWED_ROOTS: roots,
  // LOOP_CONTINUE_SESSION — 0 — 1: tasks that do not say (`continueSession`) resume Claude's session in later iterations and send only what is new
  LOOP_CONTINUE_SESSION: z
    .enum(["0", "1"], { error: "LOOP_CONTINUE_SESSION must be 0 or 1" })
    .default("0")
    .transform((v) => v === "1"),
  // LOOP_CLAUDE_PROMPT_FILE — (built-in) — a template file replacing Claude's prompt (placeholders: see "Prompt templates")
  LOOP_CLAUDE_PROMPT_FILE: z.string().optional(),
  // LOOP_CODEX_PROMPT_FILE — (built-in) — a template file replacing Codex's review prompt
  LOOP_CODEX_PROMPT_FILE: z.string().optional(),
  // LOOP_HEALTH_INTERVAL_MS — 30000 — how often the agent CLIs are checked again while one is missing or broken (the queue waits for it; before a task starts the check is at most this old)
  LOOP_HEALTH_INTERVAL_MS: int("LOOP_HEALTH_INTERVAL_MS", 50, 3_600_000).default(30_000),
  // LOOP_NOTIFY_URL — (none) — when a task ends or pauses, POST {text, task, url} as JSON to this http(s) URL (a Slack-style webhook, an ntfy topic, …; see docs/notifications.md)
  LOOP_NOTIFY_URL: z
    .string()
    .trim()
    .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
      error: "LOOP_NOTIFY_URL must be an http:// or https:// URL",
    })
    .optional(),
  // LOOP_NOTIFY_TIMEOUT_MS — 5000 — how long one notification POST may take; a failed one is tried once more, then logged as a warning
  LOOP_NOTIFY_TIMEOUT_MS: int("LOOP_NOTIFY_TIMEOUT_MS", 10, 120_000).default(5000),
});

export type RawConfig = z.infer<typeof ConfigSchema>;

export interface Config {
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: (typeof LOG_FORMATS)[number];
  port: number;
  host: "127.0.0.1";
  dbPath: string;
  artifactsDir: string;
  claudeBin: string;
  codexBin: string;
  maxIterations: number;
  iterationTimeoutMs: number;
  idleTimeoutMs: number;
  killGraceMs: number;
  maxQueueDepth: number;
  /** Set when LOOP_TOKEN was given; otherwise the server keeps one in <dbPath>.token (state-files.ts). */
  token: string | undefined;
  claudePermissionMode: (typeof PERMISSION_MODES)[number];
  claudeArgs: string[];
  codexArgs: string[];
  stallIterations: number;
  maxOutputBytes: number;
  exitGraceMs: number;
  sseHeartbeatMs: number;
  sseMaxConnections: number;
  dbBusyTimeoutMs: number;
  rateLimitPerMinute: number;
  /** Directories a task's working directory must be inside; empty = anywhere. */
  allowedRoots: string[];
  /** The default of a task's `continueSession`. */
  continueSession: boolean;
  /** Prompt templates read from LOOP_*_PROMPT_FILE (checked); undefined: the built-in ones. */
  claudePromptTemplate: string | undefined;
  codexPromptTemplate: string | undefined;
  /** Default claude budget of a task (dollars); null = none. */
  maxCostUsd: number | null;
  /** Default Codex token budget of a task; null = none. */
  maxCodexTokens: number | null;
  /** Hold new iterations while a subscription window is at least this percent used; null = off. */
  pauseAtUtilization: number | null;
  healthIntervalMs: number;
  /** Where task ends and pauses are POSTed (plugins/notify.ts); null = nowhere. */
  notifyUrl: string | null;
  notifyTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once. Throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings count as unset, as shells often export VAR= by accident.
  const present = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== "")
      .map((k) => [k, env[k]]),
  );
  const r = ConfigSchema.safeParse(present);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const name = String(i.path[0] ?? "config");
      return `  ${name}=${JSON.stringify(env[name] ?? "")}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const c = r.data;
  const abs = (p: string) => (p === ":memory:" || isAbsolute(p) ? p : resolve(cwd, p));
  const bad: string[] = [];
  const template = (name: "LOOP_CLAUDE_PROMPT_FILE" | "LOOP_CODEX_PROMPT_FILE", agent: PromptAgent) => {
    const path = c[name];
    if (path === undefined) return undefined;
    try {
      const text = readFileSync(abs(path), "utf8");
      checkTemplate(text, agent);
      return text;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code ? `cannot read ${abs(path)} (${code})` : (e as Error).message;
      bad.push(`  ${name}=${JSON.stringify(path)}: ${why}`);
      return undefined;
    }
  };
  const claudePromptTemplate = template("LOOP_CLAUDE_PROMPT_FILE", "claude");
  const codexPromptTemplate = template("LOOP_CODEX_PROMPT_FILE", "codex");
  if (bad.length > 0) throw new ConfigError(`Invalid configuration:\n${bad.join("\n")}`);
  return {
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
    port: c.PORT,
    host: "127.0.0.1",
    dbPath: abs(c.LOOP_DB_PATH),
    artifactsDir: abs(c.LOOP_ARTIFACTS_DIR),
    claudeBin: c.LOOP_CLAUDE_BIN,
    codexBin: c.LOOP_CODEX_BIN,
    maxIterations: c.LOOP_MAX_ITERATIONS,
    iterationTimeoutMs: c.LOOP_ITERATION_TIMEOUT_MS,
    idleTimeoutMs: c.LOOP_IDLE_TIMEOUT_MS,
    killGraceMs: c.LOOP_KILL_GRACE_MS,
    maxQueueDepth: c.LOOP_MAX_QUEUE_DEPTH,
    token: c.LOOP_TOKEN,
    claudePermissionMode: c.LOOP_CLAUDE_PERMISSION_MODE,
    claudeArgs: c.LOOP_CLAUDE_ARGS,
    codexArgs: c.LOOP_CODEX_ARGS,
    stallIterations: c.LOOP_STALL_ITERATIONS,
    maxOutputBytes: c.LOOP_MAX_OUTPUT_MB * 1024 * 1024,
    exitGraceMs: c.LOOP_EXIT_GRACE_MS,
    sseHeartbeatMs: c.LOOP_SSE_HEARTBEAT_MS,
    sseMaxConnections: c.LOOP_SSE_MAX_CONNECTIONS,
    dbBusyTimeoutMs: c.LOOP_DB_BUSY_TIMEOUT_MS,
    rateLimitPerMinute: c.LOOP_RATE_LIMIT_PER_MINUTE,
    allowedRoots: c.LOOP_ALLOWED_ROOTS.map((p) => resolve(p)),
    continueSession: c.LOOP_CONTINUE_SESSION,
    claudePromptTemplate,
    codexPromptTemplate,
    maxCostUsd: c.LOOP_MAX_COST_USD ?? null,
    maxCodexTokens: c.LOOP_MAX_CODEX_TOKENS ?? null,
    pauseAtUtilization: c.LOOP_PAUSE_AT_UTILIZATION ?? null,
    healthIntervalMs: c.LOOP_HEALTH_INTERVAL_MS,
    notifyUrl: c.LOOP_NOTIFY_URL ?? null,
    notifyTimeoutMs: c.LOOP_NOTIFY_TIMEOUT_MS,
  };
}

/**
 * Drops the token from the environment once it is read, so the agents loop spawns (which inherit
 * it) never see it: an agent's output lands in events and artifacts, and a prompt-injected agent
 * holding the token could file tasks of its own.
 */
export function forgetSecrets(env: NodeJS.ProcessEnv = process.env): void {
  delete env.LOOP_TOKEN;
}
