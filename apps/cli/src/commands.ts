import { readFileSync, realpathSync } from "node:fs";
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  AgentName,
  type CreateTaskBody,
  MAX_ITERATIONS_LIMIT,
  MoveTaskBody,
  type QueueResponse,
  type Task,
  TaskStatus,
} from "@loop/shared";
import type { Api } from "./client.ts";
import type { CliEnv } from "./config.ts";
import { CliError, EXIT, exitFor } from "./exit-codes.ts";
import type { Terminal } from "./live.ts";
import { taskDetail, taskTable } from "./render.ts";
import { tail } from "./tail.ts";

export interface Io {
  out: (line: string) => void;
  /** Set when stdout is a terminal: `tail` draws the growing line in place there. */
  terminal?: Terminal | undefined;
  err: (line: string) => void;
  /** The prompt when --prompt is not given; undefined when stdin is a terminal. */
  stdin: () => string | undefined;
}

type Run = (argv: string[], ctx: { api: () => Api; env: CliEnv; io: Io }) => Promise<number>;

/** loop's own checkout: apps/cli/src/../../.. */
const LOOP_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/[/\\]$/, "");

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/**
 * True when `dir` is loop's own checkout or inside it: where `pnpm loop add` lands when run from
 * the repository root as pnpm scripts are (pnpm's INIT_CWD), which is almost never the project a
 * person means the agents to change.
 */
export function insideLoop(dir: string, root = LOOP_ROOT): boolean {
  const d = real(dir);
  const r = real(root);
  return d === r || d.startsWith(r + sep);
}

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

const agent = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const a = AgentName.safeParse(v);
  if (!a.success) throw usage(`${flag} must be ${AgentName.options.join(" or ")}`);
  return a.data;
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
      check: { type: "string" },
      "check-timeout": { type: "string" },
      allow: { type: "string", multiple: true },
      wait: { type: "boolean" },
      worker: { type: "string" },
      reviewer: { type: "string" },
      after: { type: "string" },
    },
    0,
  );
  const worker = agent("--worker", v.worker);
  const reviewer = agent("--reviewer", v.reviewer);
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
    ...(v.check !== undefined && { checkCommand: v.check }),
    ...(v["check-timeout"] !== undefined && {
      checkTimeoutMs: 1000 * (whole("--check-timeout", v["check-timeout"], 1, 3600) ?? 0),
    }),
    ...(v.allow && { allowedCommands: ([] as string[]).concat(v.allow) }),
    // The same agent in both parts is the server's to refuse (400 invalid_body, exit 1).
    ...(worker && { worker }),
    ...(reviewer && { reviewer }),
    ...(v.after !== undefined && { after: v.after }),
  };
  // No --dir from inside loop's checkout: ask rather than let the agents change loop itself.
  if (v.dir === undefined && insideLoop(body.workingDir)) {
    throw usage(
      `pnpm loop add ran in loop's own checkout (${body.workingDir}); say which project the agents work in with --dir DIR, or run it from there with pnpm -C ${LOOP_ROOT} loop add … (--dir . means loop itself)`,
    );
  }
  const client = api();
  const { task } = await client.tasks.create(body);
  if (!v.wait) {
    io.out(task.id);
    return EXIT.ok;
  }
  io.err(`filed ${task.id}: ${task.title}`);
  return exitFor(await tail(client, task.id, { out: io.out, note: io.err, terminal: io.terminal }));
};

const ls: Run = async (argv, { api, io }) => {
  const { values: v } = parse(argv, { status: { type: "string" }, limit: { type: "string" } }, 0);
  const s = v.status === undefined ? undefined : TaskStatus.safeParse(v.status);
  if (s && !s.success) throw usage(`--status must be one of ${TaskStatus.options.join(", ")}`);
  const limit = whole("--limit", v.limit, 1, 200) ?? 50;
  const client = api();
  const { tasks } = await client.tasks.list({ limit, ...(s && { status: s.data }) });
  io.out(taskTable(tasks));
  // The whole list also says what runs now and why each queued task waits.
  if (s) return EXIT.ok;
  const q = await client.queue.get();
  if (q.runningTasks.length > 0 || q.tasks.length > 0) io.out(`\n${queueLines(q)}`);
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
  return exitFor(await tail(client, id, { out: io.out, note: io.err, terminal: io.terminal }));
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

/**
 * "queue paused · running 01K… · 2 queued:", each running task when several run, and the queued
 * tasks in the order they will run, with why one waits ("waits for 01K… to finish").
 */
export function queueLines(q: Pick<QueueResponse, "paused" | "tasks" | "runningTasks" | "waits">): string {
  const running = q.runningTasks;
  const [one] = running;
  const head = [
    `queue ${q.paused ? "paused" : "running"}`,
    running.length > 1
      ? `${running.length} running`
      : one
        ? `running ${one.id} ${one.title}`
        : "nothing running",
    `${q.tasks.length} queued`,
  ].join(" · ");
  return [
    head,
    ...(running.length > 1 ? running.map((t) => `  ▸ ${t.id}  ${t.title}`) : []),
    ...q.tasks.map((t, i) => `  ${i + 1}. ${t.id}  ${t.title}${q.waits[t.id] ? ` (${q.waits[t.id]})` : ""}`),
  ].join("\n");
}

const queueCmd =
  (paused: boolean): Run =>
  async (argv, { api, io }) => {
    parse(argv, {}, 0);
    const client = api();
    io.out(queueLines(await (paused ? client.queue.pause() : client.queue.resume())));
    return EXIT.ok;
  };

const move: Run = async (argv, { api, io }) => {
  const { values: v, id } = parse(argv, { to: { type: "string" } }, 1);
  const to = MoveTaskBody.shape.to.safeParse(v.to ?? "top");
  if (!to.success) throw usage(`--to must be one of ${MoveTaskBody.shape.to.options.join(", ")}`);
  io.out(queueLines(await api().tasks.move(id, to.data)));
  return EXIT.ok;
};

const retry: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  const { task } = await api().tasks.retry(id);
  io.out(task.id);
  return EXIT.ok;
};

const del: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  await api().tasks.delete(id);
  io.out(`deleted ${id}`);
  return EXIT.ok;
};

// Landing a worktree task's branch (docs/landing.md).
const landed = (task: Task) => {
  const l = task.landed;
  if (!l) return `${task.id}: nothing recorded`;
  const short = l.commit.slice(0, 12);
  const branch = task.worktree?.branch ?? "the branch";
  if (l.mode === "discard")
    return `Discarded ${branch} (its worktree and branch removed; it was at ${short})`;
  return `${l.mode === "squash" ? "Squashed" : "Merged"} ${branch} into ${l.base ?? "its base"} as ${short}`;
};

const merge: Run = async (argv, { api, io }) => {
  const { values: v, id } = parse(argv, { squash: { type: "boolean" }, message: { type: "string" } }, 1);
  const { task } = await api().tasks.merge(id, {
    mode: v.squash ? "squash" : "merge",
    ...(v.message !== undefined && { message: v.message }),
  });
  io.out(landed(task));
  return EXIT.ok;
};

const pr: Run = async (argv, { api, io }) => {
  const { values: v, id } = parse(argv, { title: { type: "string" } }, 1);
  const r = await api().tasks.pr(id, v.title === undefined ? {} : { title: v.title });
  io.out(r.url);
  return EXIT.ok;
};

const patch: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  const text = await api().tasks.patch(id);
  // out() ends the line itself: the patch goes out byte for byte.
  if (text !== "") io.out(text.endsWith("\n") ? text.slice(0, -1) : text);
  return EXIT.ok;
};

const discard: Run = async (argv, { api, io }) => {
  const { id } = parse(argv, {}, 1);
  const { task } = await api().tasks.discard(id);
  io.out(landed(task));
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
  retry,
  delete: del,
  move,
  "pause-queue": queueCmd(true),
  "resume-queue": queueCmd(false),
  merge,
  pr,
  patch,
  discard,
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
