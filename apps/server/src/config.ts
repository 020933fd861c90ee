import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
// The subpaths, not @loop/core: the config is read before the rest of the server loads (server.ts).
import { rolesFor } from "@loop/core/orchestrator-deps";
import { checkTemplate, type PromptRole } from "@loop/core/prompt-templates";
import { envName, envValue, fromEnv, parseEnv, SettingsSchema } from "@loop/core/settings";
import { z } from "zod";

const { int, text, oneOf } = envValue;

/** `:`-separated absolute paths (like PATH); empty entries are ignored. */
const roots = z
  .string()
  .transform((s) => s.split(":").filter(Boolean))
  .pipe(z.array(z.string().refine(isAbsolute, "entries must be absolute paths")))
  .transform((paths) => paths.map((p) => resolve(p)))
  .default([]);

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const LOG_FORMATS = ["auto", "pretty", "json"] as const;

/**
 * Every setting loop reads from the environment: the run loop's (SettingsSchema, in
 * packages/core/src/settings.ts) and the server's own, below, written the same way.
 * docs/configuration.md lists every variable (a test keeps them in step).
 */
export const ConfigSchema = SettingsSchema.extend({
  /** HTTP port; the server binds 127.0.0.1 only. */
  port: fromEnv("PORT", int(0, 65535).default(4170)),
  /** The SQLite file (made absolute against the working directory). */
  dbPath: fromEnv("LOOP_DB_PATH", text().default("./loop.db")),
  /** Set when LOOP_TOKEN was given; otherwise the server keeps one in <dbPath>.token (state-files.ts). */
  token: fromEnv("LOOP_TOKEN", z.string().min(16, "must be at least 16 characters").optional()),
  /** Server log level; logs go to stdout, the access token redacted. */
  logLevel: fromEnv("LOG_LEVEL", oneOf(LOG_LEVELS).default("info")),
  /** auto: pretty on a terminal, json otherwise. */
  logFormat: fromEnv("LOG_FORMAT", oneOf(LOG_FORMATS).default("auto")),
  /** Interval of the ": ping" comment on event streams. */
  sseHeartbeatMs: fromEnv("LOOP_SSE_HEARTBEAT_MS", int(10, 15_000).default(15_000)),
  /** Concurrent event streams; past it 503. */
  sseMaxConnections: fromEnv("LOOP_SSE_MAX_CONNECTIONS", int(1, 10_000).default(64)),
  /** Mutating API requests (POST, DELETE) per client and minute; past it 429. */
  rateLimitPerMinute: fromEnv("LOOP_RATE_LIMIT_PER_MINUTE", int(1, 1_000_000).default(120)),
  /** Directories a task's working directory must be inside; empty = anywhere. */
  allowedRoots: fromEnv("LOOP_ALLOWED_ROOTS", roots),
  /** The default of a task's `continueSession`. */
  continueSession: fromEnv("LOOP_CONTINUE_SESSION", envValue.flag()),
  /** Template files replacing the built-in prompts; loadConfig reads and checks them. */
  claudePromptFile: fromEnv("LOOP_CLAUDE_PROMPT_FILE", z.string().optional()),
  codexPromptFile: fromEnv("LOOP_CODEX_PROMPT_FILE", z.string().optional()),
  /** How often the agent CLIs are checked again while one is missing or broken. */
  healthIntervalMs: fromEnv("LOOP_HEALTH_INTERVAL_MS", int(50, 3_600_000).default(30_000)),
  /** Where a task's end or pause is POSTed as JSON (plugins/notify.ts, docs/notifications.md); unset: nowhere. */
  notifyUrl: fromEnv(
    "LOOP_NOTIFY_URL",
    z
      .string()
      .trim()
      .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
        error: "must be an http:// or https:// URL",
      })
      .optional(),
  ),
  /** How long one notification POST may take; a failed one is tried once more, then a warning. */
  notifyTimeoutMs: fromEnv("LOOP_NOTIFY_TIMEOUT_MS", int(10, 120_000).default(5000)),
});

export type Config = z.output<typeof ConfigSchema> & {
  host: "127.0.0.1";
  /** The prompt templates the *_PROMPT_FILE variables name, read and checked; undefined: the built-in ones. */
  claudePromptTemplate: string | undefined;
  codexPromptTemplate: string | undefined;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

const invalid = (lines: string[]) => new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);

/** Parses the environment once. Throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const r = parseEnv(ConfigSchema, env);
  if (!r.ok) throw invalid(r.problems.map((p) => `  ${p.name}=${JSON.stringify(p.value)}: ${p.message}`));
  const c = r.value;
  const abs = (p: string) => (p === ":memory:" || isAbsolute(p) ? p : resolve(cwd, p));
  const bad: string[] = [];
  const template = (key: "claudePromptFile" | "codexPromptFile", role: PromptRole) => {
    const path = c[key];
    if (path === undefined) return undefined;
    try {
      const text = readFileSync(abs(path), "utf8");
      checkTemplate(text, role);
      return text;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code ? `cannot read ${abs(path)} (${code})` : (e as Error).message;
      bad.push(`  ${envName(ConfigSchema.shape[key])}=${JSON.stringify(path)}: ${why}`);
      return undefined;
    }
  };
  const claudePromptTemplate = template("claudePromptFile", "worker");
  const codexPromptTemplate = template("codexPromptFile", "reviewer");
  // One agent never plays both parts: naming only one of them gives the other part to the other agent.
  const named = (key: "worker" | "reviewer") => (present(env, ConfigSchema.shape[key]) ? c[key] : undefined);
  const roles = rolesFor({ worker: named("worker"), reviewer: named("reviewer") }, c);
  if (roles.worker === roles.reviewer) {
    bad.push(`  LOOP_REVIEWER=${JSON.stringify(c.reviewer)}: must be a different agent from LOOP_WORKER`);
  }
  if (bad.length > 0) throw invalid(bad);
  return {
    ...c,
    ...roles,
    host: "127.0.0.1",
    dbPath: abs(c.dbPath),
    artifactsDir: abs(c.artifactsDir),
    claudePromptTemplate,
    codexPromptTemplate,
  };
}

const present = (env: NodeJS.ProcessEnv, field: z.ZodType) => {
  const name = envName(field);
  return name !== undefined && env[name] !== undefined && env[name] !== "";
};

/**
 * Drops the token from the environment once it is read, so the agents loop spawns (which inherit
 * it) never see it: an agent's output lands in events and artifacts, and a prompt-injected agent
 * holding the token could file tasks of its own.
 */
export function forgetSecrets(env: NodeJS.ProcessEnv = process.env): void {
  delete env.LOOP_TOKEN;
}
