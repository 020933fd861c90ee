import { MAX_ITERATIONS_LIMIT } from "@loop/shared/iterations";
import { z } from "zod";

/*
 * Every setting is one line of a zod schema: its name in the code, the environment variable that
 * sets it (`fromEnv`), its range and its default. The schema is the only place they are written:
 * `Settings` is its type, `DEFAULTS` its defaults, and the server reads the environment through it
 * (apps/server/src/config.ts adds the server's own settings the same way). docs/configuration.md
 * lists every variable; a test keeps that table and the schema in step.
 *
 * Messages leave out the variable: whoever reports them puts its name in front
 * ("LOOP_MAX_ITERATIONS must be at most 100").
 */

/** What an environment variable can hold. */
export const envValue = {
  /** A whole number from min to max. */
  int: (min: number, max: number) =>
    z
      .string()
      .trim()
      .regex(/^\d+$/, "must be a whole number")
      .transform(Number)
      // The regex makes it whole; the range bounds it below 2^53, so no .int() (its own message names no variable).
      .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`)),
  /** A positive number of dollars, e.g. "2.50". */
  dollars: () =>
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, "must be a number of dollars, e.g. 2.50")
      .transform(Number)
      .pipe(z.number().positive("must be greater than 0")),
  text: () => z.string().min(1, "must not be empty"),
  /** Words split on white space (never through a shell). */
  words: () =>
    z
      .string()
      .transform((s) => s.split(/\s+/).filter(Boolean))
      .default([]),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `must be one of ${values.join(", ")}` }),
  /** A list split on commas and newlines (a command may hold spaces), empty items dropped. */
  list: () =>
    z
      .string()
      .transform((s) =>
        s
          .split(/[,\n]/)
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().max(2000, "must hold commands of at most 2000 characters"))
          .max(50, "must hold at most 50 commands"),
      )
      .default([]),
  /** "0" or "1". */
  flag: () =>
    z
      .enum(["0", "1"], { error: "must be 0 or 1" })
      .default("0")
      .transform((v) => v === "1"),
};

/** Ties a setting to the environment variable that sets it (outermost, after `.default()`). */
export const fromEnv = <S extends z.ZodType>(name: string, schema: S): S => schema.meta({ env: name });

/** The variable a setting is read from, if any. */
export const envName = (schema: z.ZodType): string | undefined => {
  const env = schema.meta()?.env;
  return typeof env === "string" ? env : undefined;
};

/** No value unless the variable is set (`null` in the settings). */
const orNull = <S extends z.ZodType>(schema: S) => schema.nullable().default(null);

const MiB = 1024 * 1024;

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

const { int, dollars, text, words, oneOf, list } = envValue;

/** "Name <email>", as git writes an identity. */
const gitIdentity = () =>
  z
    .string()
    .trim()
    .regex(/^[^<>\n]+ <[^<>\s]+>$/, 'must look like "Name <email>"')
    .transform((s) => {
      const m = /^(.*?)\s*<(.*)>$/.exec(s);
      return { name: m?.[1] ?? s, email: m?.[2] ?? "" };
    });
/** The agents that can work or review (shared's AgentName). */
const AGENTS = ["claude", "codex"] as const;

/** Everything the orchestrator and the run loop can be tuned with. */
export const SettingsSchema = z.object({
  /** Claude CLI path or name on PATH. */
  claudeBin: fromEnv("LOOP_CLAUDE_BIN", text().default("claude")),
  /** Codex CLI path or name on PATH. */
  codexBin: fromEnv("LOOP_CODEX_BIN", text().default("codex")),
  /** Extra claude arguments, e.g. "--model opus". */
  claudeArgs: fromEnv("LOOP_CLAUDE_ARGS", words()),
  /** Extra `codex exec` arguments. */
  codexArgs: fromEnv("LOOP_CODEX_ARGS", words()),
  /** `claude --permission-mode` for headless runs. */
  claudePermissionMode: fromEnv(
    "LOOP_CLAUDE_PERMISSION_MODE",
    oneOf(PERMISSION_MODES).default("acceptEdits"),
  ),
  /** The iteration cap of a task that names none (a task may ask for up to MAX_ITERATIONS_LIMIT). */
  defaultMaxIterations: fromEnv("LOOP_MAX_ITERATIONS", int(1, MAX_ITERATIONS_LIMIT).default(10)),
  /** Wall-clock limit of one agent run. */
  iterationTimeoutMs: fromEnv("LOOP_ITERATION_TIMEOUT_MS", int(1, 2 ** 31 - 1).default(1_800_000)),
  /** Stop an agent that made no progress (no output, or only retry notices) this long (0 = off). */
  idleTimeoutMs: fromEnv("LOOP_IDLE_TIMEOUT_MS", int(0, 2 ** 31 - 1).default(600_000)),
  /** SIGINT → this long → SIGKILL. */
  killGraceMs: fromEnv("LOOP_KILL_GRACE_MS", int(0, 60_000).default(3000)),
  /** Most queued (not yet running) tasks; past it a new one is refused (429). */
  maxQueueDepth: fromEnv("LOOP_MAX_QUEUE_DEPTH", int(1, 10_000).default(5)),
  /** How many tasks may run at once (1 = one after another); never two in one directory unless both use worktrees. */
  maxParallel: fromEnv("LOOP_MAX_PARALLEL", int(1, 8).default(1)),
  /** The artifact root (the server makes it absolute). */
  artifactsDir: fromEnv("LOOP_ARTIFACTS_DIR", text().default("./.loops")),
  /** Stop with needs_attention when one finding stays open this many reviews in a row (0 = off). */
  stallIterations: fromEnv("LOOP_STALL_ITERATIONS", int(0, 100).default(3)),
  /** How long an agent may take to exit after its answer before its tree is stopped. */
  exitGraceMs: fromEnv("LOOP_EXIT_GRACE_MS", int(100, 600_000).default(10_000)),
  /** Output stored per agent run (set in MB); past it lines are counted, not stored. */
  maxOutputBytes: fromEnv(
    "LOOP_MAX_OUTPUT_MB",
    int(1, 100_000)
      .transform((mb) => mb * MiB)
      .default(32 * MiB),
  ),
  /** How long a write may wait for another process's lock on the database before it is a fault. */
  dbBusyTimeoutMs: fromEnv("LOOP_DB_BUSY_TIMEOUT_MS", int(10, 600_000).default(5000)),
  /** A task's claude budget (total_cost_usd) when it names none; null = no budget. */
  maxCostUsd: fromEnv("LOOP_MAX_COST_USD", orNull(dollars())),
  /** A task's Codex token budget (input + output) when it names none; null = no budget. */
  maxCodexTokens: fromEnv("LOOP_MAX_CODEX_TOKENS", orNull(int(1, Number.MAX_SAFE_INTEGER))),
  /** Hold a new iteration while any subscription window is at or above this percent (null = off). */
  pauseAtUtilization: fromEnv("LOOP_PAUSE_AT_UTILIZATION", orNull(int(1, 100))),
  /** Author and committer of loop's commits (iterations, merges): "Name <email>". */
  gitAuthor: fromEnv("LOOP_GIT_AUTHOR", gitIdentity().default({ name: "loop", email: "loop@localhost" })),
  /** GitHub CLI path or name on PATH (pull requests). */
  ghBin: fromEnv("LOOP_GH_BIN", text().default("gh")),
  /** The agent that works on a task that names none (`worker`); never the reviewer (see rolesFor). */
  worker: fromEnv("LOOP_WORKER", oneOf(AGENTS).default("claude")),
  /** The agent that reviews a task that names none (`reviewer`). */
  reviewer: fromEnv("LOOP_REVIEWER", oneOf(AGENTS).default("codex")),
  /** The check of a task that names none: run with `sh -c` after every worker run (null = no check). */
  checkCommand: fromEnv("LOOP_CHECK_COMMAND", orNull(text().max(2000, "must be at most 2000 characters"))),
  /** How long a check may run before its process tree is killed (it then fails). */
  checkTimeoutMs: fromEnv("LOOP_CHECK_TIMEOUT_MS", int(1000, 3_600_000).default(600_000)),
  /** Commands a task's worker may run without asking, comma- or newline-separated (claude --allowedTools). */
  allowedCommands: fromEnv("LOOP_ALLOWED_COMMANDS", list()),

  // Not read from the environment: tests shorten them.
  /** Wait used when a usage-limit message names no reset time (doubles per attempt, capped at 2 h). */
  usageLimitBackoffMs: z.number().default(15 * 60_000),
  /** Added to an announced reset time, so the first try after it is not refused again. */
  usageLimitMarginMs: z.number().default(30_000),
  /** Give up (failed) after this many usage-limit pauses in one run. */
  maxUsageLimitPauses: z.number().default(10),
});

export type Settings = z.output<typeof SettingsSchema> & {
  /**
   * Templates replacing the default prompts (prompts/templates.ts), already checked: the worker's
   * (LOOP_CLAUDE_PROMPT_FILE) and the reviewer's (LOOP_CODEX_PROMPT_FILE), whichever agent plays it.
   */
  claudePromptTemplate?: string | undefined;
  codexPromptTemplate?: string | undefined;
  /** Extra environment for the agent processes (merged over the server's). */
  env?: NodeJS.ProcessEnv | undefined;
};

export const DEFAULTS: Readonly<Settings> = Object.freeze(SettingsSchema.parse({}));

export const resolveSettings = (s: Partial<Settings>): Settings => ({ ...DEFAULTS, ...s });

/** One variable that does not parse: its name, its value and what is wrong ("PORT must be …"). */
export interface EnvProblem {
  name: string;
  value: string;
  message: string;
}

/**
 * Reads a schema's settings from the environment, each from its variable (`fromEnv`); the others
 * take their defaults. Empty strings count as unset, as shells often export VAR= by accident.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; value: z.output<S> } | { ok: false; problems: EnvProblem[] } {
  const names = new Map<string, string>();
  for (const [key, field] of Object.entries(schema.shape)) {
    const name = envName(field as z.ZodType);
    if (name !== undefined) names.set(key, name);
  }
  const input: Record<string, string> = {};
  for (const [key, name] of names) {
    const v = env[name];
    if (v !== undefined && v !== "") input[key] = v;
  }
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => {
      const name = names.get(String(i.path[0])) ?? String(i.path[0] ?? "config");
      return { name, value: env[name] ?? "", message: `${name} ${i.message}` };
    }),
  };
}
