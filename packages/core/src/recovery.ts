import type { AgentRun, Repositories } from "@loop/db";
import type { EventBus } from "./events.ts";
import {
  findMarked,
  isRunning,
  killMarked,
  processStartTime,
  type SweepMethod,
  stopProcessTree,
} from "./runner/index.ts";

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
}

/**
 * Start-up, before anything runs: stops every process a dead server's agent runs left behind (the
 * recorded leader and its group if it is the same process, and everything carrying the run's
 * marker), then pauses the tasks it left `running`, naming what was interrupted.
 */
export async function recover(
  repos: Repositories,
  bus: EventBus,
  opts: { graceMs: number; sweepMethod?: SweepMethod },
): Promise<RecoveryReport> {
  const report: RecoveryReport = { stopped: [], paused: [] };
  const open = repos.agentRuns.listOpen().filter((r) => r.serverPid !== process.pid);
  const byMarker = new Map<string, AgentRun>(open.map((r) => [r.marker, r]));
  for (const r of open) {
    if (r.pid && isRunning(r.pid) && r.procStart && (await processStartTime(r.pid)) === r.procStart) {
      await stopProcessTree(r.pid, {
        graceMs: opts.graceMs,
        marker: r.marker,
        sweepMethod: opts.sweepMethod,
      });
      report.stopped.push({ pid: r.pid, taskId: r.taskId, agent: r.agent });
    }
  }
  // Tool processes in their own sessions, whatever their parent: found by the run's marker.
  const marked = await findMarked([...byMarker.keys()], opts.sweepMethod);
  const killed = new Set(await killMarked([...byMarker.keys()], opts.sweepMethod));
  for (const p of marked) {
    if (!killed.has(p.pid)) continue;
    const run = byMarker.get(p.marker);
    report.stopped.push({ pid: p.pid, taskId: run?.taskId ?? "", agent: run?.agent ?? "tool" });
  }

  const stoppedBy = new Map<string, number[]>();
  for (const s of report.stopped) stoppedBy.set(s.taskId, [...(stoppedBy.get(s.taskId) ?? []), s.pid]);
  for (const task of repos.tasks.listByStatus("running")) {
    const last = repos.agentRuns.lastOpenOf(task.id);
    const n = task.currentIteration;
    const where =
      n > 0 ? `during iteration ${n}${last ? ` (${last.agent})` : ""}` : "before its first iteration";
    const reason = `interrupted by a crash of the server ${where}; resume it to continue from there`;
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
        agent: (last?.agent as "claude" | "codex") ?? null,
        reason,
      });
    });
    report.paused.push(task.id);
  }
  for (const [taskId, pids] of stoppedBy) {
    if (!taskId || !repos.tasks.get(taskId)) continue;
    bus.send(taskId, null, "task.warning", {
      message: `Stopped ${pids.length} process${pids.length === 1 ? "" : "es"} left running by an earlier server (pid ${pids.join(", ")})`,
    });
  }
  for (const r of open) repos.agentRuns.end(r.id);
  return report;
}
