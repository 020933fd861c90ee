import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CreateTaskBody, MAX_ITERATIONS_LIMIT, TaskStatus } from "@loop/shared";
import type { Api } from "./client.ts";
import type { CliEnv } from "./config.ts";
import { CliError, EXIT, exitFor } from "./exit-codes.ts";
import { taskDetail, taskTable } from "./render.ts";
import { tail } from "./tail.ts";

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The prompt when --prompt is not given; undefined when stdin is a terminal. */
  stdin: () => string | undefined;
}

type Run = (argv: string[], ctx: { api: () => Api; env: CliEnv; io: Io }) => Promise<number>;

const usage = (message: string) => new CliError(EXIT.usage, `${message} (see pnpm loop --help)`);

/** util.parseArgs in strict mode, its errors turned into usage errors. */
function parse<O extends Record<string, { type: "string" | "boolean"; short?: string }>>(
  argv: string[],
  options: O,
  positionals: 0 | 1,
) {
  let r: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (r.positionals.length !== positionals) {
    throw usage(positionals === 1 ? "give one task id" : `unexpected argument ${r.positionals[0]}`);
  }
  return { values: r.values, id: r.positionals[0] ?? "" };
}

const whole = (flag: string, v: string | undefined, min: number, max: number) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw usage(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
};

const add: Run = async (argv, { api, env, io }) => {
  const { values: v } = parse(
    argv,
    {
      title: { type: "string" },
      prompt: { type: "string" },
      dir: { type: "string" },
      max: { type: "string" },
      budget: { type: "string" },
      worktree: { type: "boolean" },
      check: { type: "string" },
      "check-timeout": { type: "string" },
      allow: { type: "string", multiple: true },
      wait: { type: "boolean" },
    },
    0,
  );
  const prompt = v.prompt ?? io.stdin();
  if (prompt === undefined || prompt.trim() === "") {
    throw usage("give the prompt with --prompt or on stdin (pnpm loop add --title … < prompt.md)");
  }
  const budget = v.budget === undefined ? undefined : Number(v.budget);
  if (budget !== undefined && !(Number.isFinite(budget) && budget > 0)) {
    throw usage("--budget must be an amount in USD above 0, e.g. 2.50");
  }
  const title = (v.title ?? prompt.trim().split("\n")[0] ?? "").trim().slice(0, 200);
  const body: CreateTaskBody = {
    title,
    prompt,
    workingDir: resolve(env.initCwd, v.dir ?? "."),
    ...(v.max !== undefined && { maxIterations: whole("--max", v.max, 1, MAX_ITERATIONS_LIMIT) }),
    ...(budget !== undefined && { maxCostUsd: budget }),
    ...(v.worktree && { isolation: "worktree" as const }),
    ...(v.check !== undefined && { checkCommand: v.check }),
    ...(v["check-timeout"] !== undefined && {
      checkTimeoutMs: 1000 * (whole("--check-timeout", v["check-timeout"], 1, 3600) ?? 0),
    }),
    ...(v.allow && { allowedCommands: ([] as string[]).concat(v.allow) }),
  };
  const client = api();
  const { task } = await client.tasks.create(body);
  if (!v.wait) {
    io.out(task.id);
    return EXIT.ok;
  }
  io.err(`filed ${task.id}: ${task.title}`);
  return exitFor(await tail(client, task.id, { out: io.out, note: io.err }));
};

const ls: Run = async (argv, { api, io }) => {
  const { values: v } = parse(argv, { status: { type: "string" }, limit: { type: "string" } }, 0);
  const s = v.status === undefined ? undefined : TaskStatus.safeParse(v.status);
  if (s && !s.success) throw usage(`--status must be one of ${TaskStatus.options.join(", ")}`);
  const limit = whole("--limit", v.limit, 1, 200) ?? 50;
  const { tasks } = await api().tasks.list({ limit, ...(s && { status: s.data }) });
  io.out(taskTable(tasks));
  return EXIT.ok;
};

const show: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  io.out(taskDetail(await api().tasks.get(id)));
  return EXIT.ok;
};

const tailCmd: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  const client = api();
  // Asked first, so a wrong id is "no such task" rather than a stream that never opens.
  await client.tasks.get(id);
  return exitFor(await tail(client, id, { out: io.out, note: io.err }));
};

const cancel: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  const { task } = await api().tasks.cancel(id);
  io.out(`${task.id} ${task.status}${task.statusReason ? `: ${task.statusReason}` : ""}`);
  return EXIT.ok;
};

const resume: Run = async (argv, { api, io }) => {
  const { values: v, id } = parse(argv, { extra: { type: "string" } }, 1);
  const extra = whole("--extra", v.extra, 1, MAX_ITERATIONS_LIMIT);
  const { task } = await api().tasks.resume(id, extra === undefined ? {} : { extraIterations: extra });
  io.out(`${task.id} ${task.status} (at most ${task.maxIterations} iterations)`);
  return EXIT.ok;
};

export const COMMANDS: Record<string, Run> = { add, ls, show, tail: tailCmd, cancel, resume };

/** All of stdin, or undefined when it is a terminal (nothing was piped in). */
export function readStdin(): string | undefined {
  if (process.stdin.isTTY) return undefined;
  try {
    return readFileSync(0, "utf8");
  } catch {
    return undefined;
  }
}
