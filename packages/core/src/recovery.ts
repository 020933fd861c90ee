import type { AgentRun, Repositories } from "@loop/db";
import type { ArtifactStore } from "./artifacts.ts";
import type { EventBus } from "./events.ts";
import { findStalemate } from "./findings/index.ts";
import { CHECK_RUN } from "./loop/check-step.ts";
import { finishDecided } from "./loop/finish.ts";
import type { Logger } from "./loop/run-context.ts";
import { decidedEnd } from "./loop/transitions.ts";
import { silent } from "./orchestrator-deps.ts";
import {
  descendantsOf,
  findMarked,
  isRunning,
  killMarked,
  listProcesses,
  processStartTime,
  type SweepMethod,
  stopProcessTree,
} from "./runner/index.ts";
import type { Settings } from "./settings.ts";

const SERVER_KEY = "server";

interface ServerRecord {
  pid: number;
  procStart: string | null;
  startedAt: string;
}

export class InstanceLockedError extends Error {
  override name = "InstanceLockedError";
}

/**
 * Only one server may use a database: a second one would take the first one's running task for a
 * crashed one. Records this process (pid + OS start time) unless another live server already did.
 */
export async function claimDatabase(repos: Repositories): Promise<() => void> {
  const mine: ServerRecord = {
    pid: process.pid,
    procStart: await processStartTime(process.pid),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const seen = repos.state.get<ServerRecord>(SERVER_KEY);
    if (seen && seen.pid !== process.pid && isRunning(seen.pid)) {
      const start = await processStartTime(seen.pid);
      if (start !== null && start === seen.procStart) {
        throw new InstanceLockedError(
          `another loop server (pid ${seen.pid}, started ${seen.startedAt}) is using the database ${repos.handle.path}; stop it first, or give this one its own LOOP_DB_PATH`,
        );
      }
    }
    // Only if nobody changed the record meanwhile (a second server starting at the same moment).
    const claimed = repos.handle.sqlite
      .transaction(() => {
        const now = repos.state.get<ServerRecord>(SERVER_KEY);
        if (JSON.stringify(now) !== JSON.stringify(seen)) return false;
        repos.state.set(SERVER_KEY, mine);
        return true;
      })
      .immediate();
    if (claimed) {
      return () => {
        try {
          if (repos.state.get<ServerRecord>(SERVER_KEY)?.pid === process.pid) repos.state.delete(SERVER_KEY);
        } catch {
          // The next start finds a record of a dead process and takes over.
        }
      };
    }
  }
  throw new InstanceLockedError(`another loop server is starting on the database ${repos.handle.path}`);
}

export interface RecoveryReport {
  /** Processes of earlier servers' runs that were still alive and were stopped. */
  stopped: Array<{ pid: number; taskId: string; agent: string }>;
  /** Tasks a crashed server left running, now paused. */
  paused: string[];
  /** Tasks a crashed server left running whose end their stored reviews had decided, now finished. */
  finished: string[];
}

export interface RecoverOptions {
  graceMs: number;
  sweepMethod?: SweepMethod | undefined;
  /** What finishing a task takes (result.md, changes.md, the stalemate rule): the orchestrator's. */
  settings: Settings;
  artifacts: ArtifactStore;
  log?: Logger | undefined;
}

/**
 * Start-up, before anything runs: stops every process a dead server's agent runs left behind (the
 * recorded leader, its group and descendants, and everything carrying the run's marker). Then the
 * tasks it left `running`: one whose last stored review decided its end (Codex's DONE, the cap, a
 * stalemate; the server died before the task row said so) is finished as its run would have;
 * every other one is paused, naming what was interrupted.
 */
export async function recover(
  repos: Repositories,
  bus: EventBus,
  opts: RecoverOptions,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { stopped: [], paused: [], finished: [] };
  const open = repos.agentRuns.listOpen().filter((r) => r.serverPid !== process.pid);
  const byMarker = new Map<string, AgentRun>(open.map((r) => [r.marker, r]));
  const leaders: AgentRun[] = [];
  for (const r of open) {
    if (r.pid && isRunning(r.pid) && r.procStart && (await processStartTime(r.pid)) === r.procStart) {
      leaders.push(r);
    }
  }
  const alive = await processesOf(leaders, byMarker, opts.sweepMethod);
  for (const r of leaders) {
    await stopProcessTree(r.pid!, { graceMs: opts.graceMs, marker: r.marker, sweepMethod: opts.sweepMethod });
  }
  // Tool processes in their own sessions, whatever their parent: found by the run's marker.
  await killMarked([...byMarker.keys()], opts.sweepMethod, opts.graceMs);
  for (const [pid, r] of alive) {
    if (!isRunning(pid)) report.stopped.push({ pid, taskId: r.taskId, agent: r.agent });
  }

  const deps = {
    repos,
    bus,
    settings: opts.settings,
    artifacts: opts.artifacts,
    log: opts.log ?? silent,
    closing: new AbortController().signal,
  };
  // A task waiting out a usage limit is paused with its iteration still running: the crash ended the
  // wait, so its "resumes at …" no longer holds and it is paused like a running one.
  const waiting = repos.tasks
    .listByStatus("paused")
    .filter(
      (t) => t.currentIteration > 0 && repos.iterations.get(t.id, t.currentIteration)?.status === "running",
    );
  for (const task of [...repos.tasks.listByStatus("running"), ...waiting]) {
    const n = task.currentIteration;
    const stalemate = findStalemate(repos.findings.list(task.id), opts.settings.stallIterations);
    const end = decidedEnd(repos.iterations.texts(task.id), task.maxIterations, stalemate, task.reviewer);
    if (end) {
      bus.send(task.id, n || null, "task.warning", {
        message: `The server stopped after the review of iteration ${n} was stored but before the task's end was; recorded at the next start`,
      });
      await finishDecided(deps, task, end);
      report.finished.push(task.id);
      continue;
    }
    const last = repos.agentRuns.lastOpenOf(task.id);
    const where =
      n > 0
        ? last?.agent === CHECK_RUN
          ? `during the check of iteration ${n}`
          : `during iteration ${n}${last ? ` (${last.agent})` : ""}`
        : "before its first iteration";
    const during = task.status === "paused" ? `while it waited out a usage limit ${where}` : where;
    const reason = `interrupted by a crash of the server ${during}; resume it to continue from there`;
    repos.transaction(() => {
      if (n > 0 && repos.iterations.get(task.id, n)?.status === "running") {
        const ended = { status: "interrupted", finishedAt: new Date().toISOString() } as const;
        repos.iterations.update(task.id, n, ended);
        bus.iterationUpdated(task.id, n, ended);
        bus.send(task.id, n, "iteration.finished", { n, verdict: null, status: "interrupted" });
      }
      repos.tasks.update(task.id, { status: "paused", statusReason: reason });
      bus.taskUpdated(task.id, { status: "paused", statusReason: reason });
      bus.send(task.id, n || null, "task.interrupted", {
        agent: last && last.agent !== CHECK_RUN ? (last.agent as "claude" | "codex") : null,
        reason,
      });
    });
    report.paused.push(task.id);
  }
  const stoppedBy = new Map<string, number[]>();
  for (const s of report.stopped) stoppedBy.set(s.taskId, [...(stoppedBy.get(s.taskId) ?? []), s.pid]);
  for (const [taskId, pids] of stoppedBy) {
    if (!taskId || !repos.tasks.get(taskId)) continue;
    bus.send(taskId, null, "task.warning", {
      message: `Stopped ${pids.length} process${pids.length === 1 ? "" : "es"} left running by an earlier server (pid ${pids.join(", ")})`,
    });
  }
  for (const r of open) repos.agentRuns.end(r.id);
  return report;
}

/**
 * Every live process of those runs before they are stopped (each leader, its process group and its
 * descendants, whatever carries a run's marker), so the warning counts all that were stopped.
 */
async function processesOf(
  leaders: readonly AgentRun[],
  byMarker: ReadonlyMap<string, AgentRun>,
  sweepMethod: SweepMethod | undefined,
): Promise<Map<number, AgentRun>> {
  const out = new Map<number, AgentRun>();
  const procs = leaders.length > 0 ? await listProcesses().catch(() => []) : [];
  for (const r of leaders) {
    const pid = r.pid!;
    out.set(pid, r);
    for (const p of [...procs.filter((p) => p.pgid === pid), ...descendantsOf(pid, procs)]) out.set(p.pid, r);
  }
  for (const m of await findMarked([...byMarker.keys()], sweepMethod)) {
    const r = byMarker.get(m.marker);
    if (r && !out.has(m.pid)) out.set(m.pid, r);
  }
  return out;
}
