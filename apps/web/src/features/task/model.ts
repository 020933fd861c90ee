import type {
  AgentName,
  EventOf,
  Finding,
  LoopEvent,
  Note,
  ParsedLine,
  TaskStatus,
  Usage,
  Verdict,
} from "@loop/shared";

export type LineKind = "stdout" | "stderr" | "meta";

export interface LogLine {
  /** Id of the event that started this line: a stable key across reloads. */
  id: number;
  kind: LineKind;
  /** The raw line as the agent printed it (pieces of a split line rejoined). */
  text: string;
  parsed?: ParsedLine;
  /** Its number among the agent's output lines (the log's gutter; meta lines have none). */
  n?: number;
}

export type AgentStarted = EventOf<"agent.started">["data"] & { ts: string };
/**
 * The latest changes of an iteration (NNN-changes.md) or of the whole task (changes.md, `iteration`
 * null); `id` (the event's) changes whenever they are computed again.
 */
export type ChangesRecorded = EventOf<"changes.recorded">["data"] & {
  id: number;
  taskId: string;
  iteration: number | null;
};
export type AgentFinished = EventOf<"agent.finished">["data"] & { ts: string };

/** One agent's log within one iteration (all its runs, e.g. before and after a usage-limit pause). */
export interface AgentLog {
  agent: AgentName;
  lines: LogLine[];
  /** Lines the agent printed (meta lines such as the command line are not counted). */
  outputLines: number;
  /** Bumped on every change so views re-render while `lines` is appended in place. */
  version: number;
  started: AgentStarted | null;
  finished: AgentFinished | null;
  /** A line longer than the per-event limit whose last piece has not arrived yet, per stream. */
  open: { stdout?: LogLine; stderr?: LogLine };
}

/** loop's check of one iteration: its command, its output lines and how it ended. */
export interface CheckLog {
  command: string;
  lines: LogLine[];
  outputLines: number;
  version: number;
  finished: (EventOf<"check.finished">["data"] & { ts: string }) | null;
  open: { stdout?: LogLine; stderr?: LogLine };
}

export interface IterationView {
  n: number;
  /** Set once the iteration's check started (tasks with a checkCommand). */
  check: CheckLog | null;
  startedAt: string | null;
  finishedAt: string | null;
  claude: AgentLog;
  codex: AgentLog;
  verdict: { status: Verdict; firstLine: string } | null;
  outcome: { verdict: Verdict | null; status: string } | null;
  changes: ChangesRecorded | null;
  /** The user's notes given for this iteration (note.added), in order. */
  notes: Note[];
}

export interface TaskView {
  /** Highest event id applied: replays and reconnects never apply an event twice. */
  lastEventId: number;
  iterations: IterationView[];
  warnings: { id: number; ts: string; iteration: number | null; message: string }[];
  paused: { agent: AgentName; reason: string; resumeAt: string } | null;
  /** Set while the task is paused by a server stop, a crash or a storage fault (resume continues it). */
  interrupted: { reason: string; ts: string } | null;
  cancelRequested: boolean;
  finished: { status: TaskStatus; reason: string; ts: string } | null;
  usage: Usage | null;
  /** The whole task's change so far (changes.md). */
  changes: ChangesRecorded | null;
  /** The findings ledger as of the latest findings.updated; null before one arrived. */
  findings: Finding[] | null;
  version: number;
}

const newLog = (agent: AgentName): AgentLog => ({
  agent,
  lines: [],
  outputLines: 0,
  version: 0,
  started: null,
  finished: null,
  open: {},
});

export function createTaskView(): TaskView {
  return {
    lastEventId: 0,
    iterations: [],
    warnings: [],
    paused: null,
    interrupted: null,
    cancelRequested: false,
    finished: null,
    usage: null,
    changes: null,
    findings: null,
    version: 0,
  };
}

export function iterationOf(view: TaskView, n: number): IterationView {
  // Iterations arrive in order, so the last one is almost always the one asked for.
  for (let i = view.iterations.length - 1; i >= 0; i--) {
    const it = view.iterations[i]!;
    if (it.n === n) return it;
    if (it.n < n) break;
  }
  const it: IterationView = {
    n,
    check: null,
    startedAt: null,
    finishedAt: null,
    claude: newLog("claude"),
    codex: newLog("codex"),
    verdict: null,
    outcome: null,
    changes: null,
    notes: [],
  };
  view.iterations.push(it);
  view.iterations.sort((a, b) => a.n - b.n);
  return it;
}

const pushMeta = (log: AgentLog, id: number, text: string) => {
  log.lines.push({ id, kind: "meta", text });
  log.version++;
};

/** `claude --print … (pid 123)`; argv[0] is usually a full path, show its base name. */
export function commandLine(argv: readonly string[], pid: number | null): string {
  const [bin = "", ...args] = argv;
  const name = bin.split("/").pop() ?? bin;
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return `$ ${[name, ...quoted].join(" ")}${pid === null ? "" : `   (pid ${pid})`}`;
}

function appendOutput(
  log: Pick<AgentLog, "lines" | "outputLines" | "version" | "open">,
  e: EventOf<"agent.output"> | EventOf<"check.output">,
): void {
  const d = e.data;
  const open = log.open[d.stream];
  if (d.continuation && open) {
    open.text += d.line;
  } else {
    const line: LogLine = { id: e.id, kind: d.stream, text: d.line, n: ++log.outputLines };
    log.lines.push(line);
    if (d.final === false) log.open[d.stream] = line;
  }
  const target = log.open[d.stream] ?? log.lines[log.lines.length - 1]!;
  if ("parsed" in d && d.parsed) target.parsed = d.parsed;
  if (d.final !== false) delete log.open[d.stream];
  log.version++;
}

/**
 * Applies a batch of a task's events in id order to the view, in place. Events already applied
 * (id <= lastEventId) are skipped, so a replay after a reload or reconnect never doubles a line.
 * Returns true when something changed.
 */
export function applyEvents(view: TaskView, events: readonly LoopEvent[]): boolean {
  let changed = false;
  for (const e of events) {
    if (e.id <= view.lastEventId) continue;
    view.lastEventId = e.id;
    changed = true;
    applyOne(view, e);
  }
  if (changed) view.version++;
  return changed;
}

function applyOne(view: TaskView, e: LoopEvent): void {
  switch (e.type) {
    case "task.created":
    case "task.started":
    // The rows themselves: the page's query cache applies them (lib/cache.ts).
    case "task.updated":
    case "iteration.updated":
      return;
    case "iteration.started": {
      const it = iterationOf(view, e.data.n);
      it.startedAt = e.ts;
      return;
    }
    case "agent.started": {
      const log = iterationOf(view, e.iteration ?? 0)[e.data.agent];
      if (log.started) pushMeta(log, e.id, "— run again —");
      log.started = { ...e.data, ts: e.ts };
      log.finished = null;
      pushMeta(log, e.id, commandLine(e.data.argv, e.data.pid));
      return;
    }
    case "agent.output":
      appendOutput(iterationOf(view, e.iteration ?? 0)[e.data.agent], e);
      return;
    case "agent.finished": {
      const log = iterationOf(view, e.iteration ?? 0)[e.data.agent];
      log.finished = { ...e.data, ts: e.ts };
      log.open = {};
      pushMeta(log, e.id, finishedLine(e.data));
      return;
    }
    case "review.verdict":
      iterationOf(view, e.iteration ?? 0).verdict = e.data;
      return;
    case "iteration.finished": {
      const it = iterationOf(view, e.data.n);
      it.finishedAt = e.ts;
      it.outcome = { verdict: e.data.verdict, status: e.data.status };
      return;
    }
    case "task.warning":
      view.warnings.push({ id: e.id, ts: e.ts, iteration: e.iteration, message: e.data.message });
      return;
    case "task.finished":
      view.finished = { ...e.data, ts: e.ts };
      view.paused = null;
      return;
    case "task.cancel_requested":
      view.cancelRequested = true;
      return;
    case "task.paused": {
      view.paused = { agent: e.data.agent, reason: e.data.reason, resumeAt: e.data.resumeAt };
      if (e.iteration !== null)
        pushMeta(iterationOf(view, e.iteration)[e.data.agent], e.id, `Paused: ${e.data.reason}`);
      return;
    }
    case "task.resumed":
      view.paused = null;
      view.interrupted = null;
      if (e.data.from && e.iteration !== null)
        pushMeta(iterationOf(view, e.iteration)[e.data.agent], e.id, `— resumed from ${e.data.from} —`);
      return;
    case "task.interrupted":
      view.interrupted = { reason: e.data.reason, ts: e.ts };
      if (e.iteration !== null && e.data.agent)
        pushMeta(iterationOf(view, e.iteration)[e.data.agent], e.id, `Interrupted: ${e.data.reason}`);
      return;
    case "task.requeued":
      view.finished = null;
      view.interrupted = null;
      view.cancelRequested = false;
      return;
    case "task.usage":
      view.usage = e.data.total;
      return;
    case "changes.recorded": {
      const recorded = { ...e.data, id: e.id, taskId: e.taskId, iteration: e.iteration };
      if (e.data.scope === "task") view.changes = recorded;
      else if (e.iteration !== null) iterationOf(view, e.iteration).changes = recorded;
      return;
    }
    case "findings.updated":
      view.findings = e.data.findings;
      return;
    case "note.added":
      iterationOf(view, e.iteration ?? e.data.note.forIteration).notes.push(e.data.note);
      return;
    case "task.waiting":
      // Step mode: paused, waiting for the user (resume goes on).
      view.interrupted = { reason: e.data.reason, ts: e.ts };
      return;
    case "check.started": {
      const it = iterationOf(view, e.iteration ?? 0);
      const log: CheckLog = it.check ?? {
        command: e.data.command,
        lines: [],
        outputLines: 0,
        version: 0,
        finished: null,
        open: {},
      };
      if (it.check) log.lines.push({ id: e.id, kind: "meta", text: "— run again —" });
      log.finished = null;
      log.lines.push({ id: e.id, kind: "meta", text: `$ sh -c ${shellQuote(e.data.command)}` });
      log.version++;
      it.check = log;
      return;
    }
    case "check.output": {
      const log = iterationOf(view, e.iteration ?? 0).check;
      if (log) appendOutput(log, e);
      return;
    }
    case "check.finished": {
      const log = iterationOf(view, e.iteration ?? 0).check;
      if (!log) return;
      log.finished = { ...e.data, ts: e.ts };
      log.open = {};
      log.lines.push({ id: e.id, kind: "meta", text: checkLine(e.data) });
      log.version++;
      return;
    }
    default: {
      // A newer server may send types this build does not know: ignore them.
      const _exhaustive: never = e;
      return;
    }
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** "check passed (exit 0, 1.2 s)", "check FAILED (exit 1, 3.4 s)", "check timed out (…)". */
export function checkLine(d: EventOf<"check.finished">["data"]): string {
  const secs = `${(d.durationMs / 1000).toFixed(1)} s`;
  const how = d.ok ? "passed" : d.timedOut ? "timed out (killed)" : "FAILED";
  return `check ${how} (exit ${d.exitCode ?? "–"}, ${secs})`;
}

export function finishedLine(d: EventOf<"agent.finished">["data"]): string {
  const secs = `${(d.durationMs / 1000).toFixed(1)} s`;
  const code = d.exitCode === null ? "no exit code" : `exit code ${d.exitCode}`;
  if (d.ok) return `✓ ${d.agent} finished in ${secs} (${code})`;
  // loop stopped it (a cancel): its exit code says nothing about the work.
  if (d.errorKind === "cancelled") return `■ ${d.agent} was cancelled after ${secs}`;
  return `✗ ${d.agent} failed after ${secs} (${code})${d.error ? `: ${d.error}` : ""}`;
}
