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
  positionals: 0 | 1 | 2,
  what = "give one task id",
) {
  let r: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (r.positionals.length !== positionals) {
    throw usage(positionals > 0 ? what : `unexpected argument ${r.positionals[0]}`);
  }
  return { values: r.values, id: r.positionals[0] ?? "", second: r.positionals[1] ?? "" };
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
      step: { type: "boolean" },
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
    ...(v.step && { pauseAfterIteration: true }),
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
  const { values: v, id } = parse(argv, { extra: { type: "string" }, note: { type: "string" } }, 1);
  const extra = whole("--extra", v.extra, 1, MAX_ITERATIONS_LIMIT);
  const { task } = await api().tasks.resume(id, {
    ...(extra !== undefined && { extraIterations: extra }),
    ...(v.note !== undefined && { note: v.note }),
  });
  io.out(`${task.id} ${task.status} (at most ${task.maxIterations} iterations)`);
  return EXIT.ok;
};

/** A note for the agents' next prompts: `note ID "text"`, or the text on stdin. */
const note: Run = async (argv, { api, io }) => {
  const n = argv.filter((a) => !a.startsWith("-")).length;
  const { id, second } = parse(
    argv,
    {},
    n >= 2 ? 2 : 1,
    'give a task id and the note: pnpm loop note ID "text"',
  );
  const text = second || io.stdin();
  if (text === undefined || text.trim() === "")
    throw usage('give the note: pnpm loop note ID "text" (or on stdin)');
  const { note: saved } = await api().tasks.note(id, text);
  io.out(`note ${saved.id} for iteration ${saved.forIteration} of ${id}`);
  return EXIT.ok;
};

const accept: Run = async (argv, { api, io }) => {
  const { values: v, id } = parse(argv, { note: { type: "string" } }, 1);
  const { task } = await api().tasks.accept(id, v.note === undefined ? {} : { note: v.note });
  io.out(`${task.id} ${task.status}: ${task.statusReason ?? ""}`);
  return EXIT.ok;
};

const decide =
  (status: "dismissed" | "open"): Run =>
  async (argv, { api, io }) => {
    const what = "give a task id and a finding id (F3)";
    const options = { reason: { type: "string" as const } };
    const { values: v, id, second } = parse(argv, options, 2, what);
    if (status === "open" && v.reason !== undefined) throw usage("reopen takes no --reason");
    const { reason } = v;
    const body = { status, ...(reason !== undefined && { reason }) };
    const { finding: f } = await api().tasks.finding(id, second, body);
    io.out(`${f.id} ${f.status}${f.dismissReason ? `: ${f.dismissReason}` : ""}`);
    return EXIT.ok;
  };

export const COMMANDS: Record<string, Run> = {
  add,
  ls,
  show,
  tail: tailCmd,
  cancel,
  resume,
  note,
  accept,
  dismiss: decide("dismissed"),
  reopen: decide("open"),
};

/** All of stdin, or undefined when it is a terminal (nothing was piped in). */
export function readStdin(): string | undefined {
  if (process.stdin.isTTY) return undefined;
  try {
    return readFileSync(0, "utf8");
  } catch {
    return undefined;
  }
}
