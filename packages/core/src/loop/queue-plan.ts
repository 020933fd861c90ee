import { resolve, sep } from "node:path";
import { type AgentName, isTerminal, type SubscriptionWindow, type Task } from "@loop/shared";
import { utilizationHold } from "./limits.ts";

/** An agent nobody may start a task with for now, and why; `until` when it ends by itself. */
export interface Hold {
  agent: AgentName;
  reason: string;
  until: Date | null;
}

/** What the scheduler does with the queue now (see plan). */
export interface Plan {
  /** Queued tasks to start now, in queue order. */
  start: Task[];
  /** Why each other queued task waits ("waits for 01K… to finish", "waits: same directory as …"). */
  waits: Map<string, string>;
  /** Chained tasks whose predecessor ended short of done (or is gone): cancelled with this reason. */
  cancels: Map<string, string>;
}

export type QueuedTask = Pick<
  Task,
  "id" | "title" | "workingDir" | "isolation" | "worker" | "reviewer" | "after"
>;

const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);

/** Two tasks may not run at once in one directory, or one inside the other, unless both use worktrees. */
export function sameDirectory(a: QueuedTask, b: QueuedTask): boolean {
  if (a.isolation === "worktree" && b.isolation === "worktree") return false;
  const x = resolve(a.workingDir);
  const y = resolve(b.workingDir);
  return inside(x, y) || inside(y, x);
}

/** A task chained `after` one that ended short of done never runs after it (it is cancelled). */
export const chainBroken = (predecessor: Task["status"]): boolean =>
  predecessor !== "done" && isTerminal(predecessor);

const short = (t: Pick<Task, "id" | "title">) => `${t.id} (“${t.title}”)`;

/**
 * Which queued tasks start now, in queue order, with up to `maxParallel` running: a task starts when its
 * chain's predecessor is done, no hold is on one of its agents and no running task shares its
 * directory. A task that cannot start does not hold back the ones behind it. Pure: the scheduler
 * (scheduler.ts) reads the state and carries the plan out.
 */
export function plan<T extends QueuedTask>(p: {
  queued: readonly T[];
  running: readonly QueuedTask[];
  maxParallel: number;
  holds: readonly Hold[];
  status: (id: string) => Task["status"] | undefined;
  /** A paused queue starts nothing: what would start takes no slot from the tasks behind it. */
  paused?: boolean;
}): Omit<Plan, "start"> & { start: T[] } {
  const running = [...p.running];
  const out = { start: [] as T[], waits: new Map<string, string>(), cancels: new Map<string, string>() };
  for (const t of p.queued) {
    if (t.after) {
      const s = p.status(t.after);
      if (s === undefined) {
        out.cancels.set(t.id, `Cancelled: the task it was to run after (${t.after}) was deleted`);
        continue;
      }
      if (chainBroken(s)) {
        out.cancels.set(
          t.id,
          `Cancelled: the task it was to run after (${t.after}) ended ${s.replace("_", " ")}`,
        );
        continue;
      }
      if (s !== "done") {
        out.waits.set(t.id, `waits for ${t.after} to finish`);
        continue;
      }
    }
    const hold = p.holds.find((h) => h.agent === t.worker || h.agent === t.reviewer);
    if (hold) {
      out.waits.set(t.id, `waits: ${hold.reason}`);
      continue;
    }
    const busy = running.find((r) => sameDirectory(r, t));
    if (busy) {
      out.waits.set(t.id, `waits: same directory as ${short(busy)}`);
      continue;
    }
    if (running.length >= p.maxParallel) {
      out.waits.set(
        t.id,
        p.maxParallel === 1
          ? "waits for the running task"
          : `waits: ${running.length} tasks running (LOOP_MAX_PARALLEL=${p.maxParallel})`,
      );
      continue;
    }
    out.start.push(t);
    if (!p.paused) running.push(t);
  }
  return out;
}

/** LOOP_PAUSE_AT_UTILIZATION as holds on new starts: one per agent with a window at or over it. */
export function windowHolds(
  windows: readonly SubscriptionWindow[],
  threshold: number | null,
  now = new Date(),
): Hold[] {
  const holds: Hold[] = [];
  for (const agent of ["claude", "codex"] as const) {
    const mine = windows.filter((w) => w.agent === agent);
    const hold = utilizationHold(mine, threshold, now);
    if (!hold) continue;
    const top = Math.max(...mine.map((w) => w.utilization ?? 0));
    holds.push({
      agent,
      until: hold.until,
      reason: `${agent} window at ${top} % (LOOP_PAUSE_AT_UTILIZATION=${threshold}), until ${hold.until.toISOString()}`,
    });
  }
  return holds;
}

/**
 * Why `after` cannot chain the task `id` (null: it can): no task with that id, or following the
 * chain from it comes back to `id` or round in a circle.
 */
export function chainProblem(
  id: string,
  after: string,
  lookup: (id: string) => Pick<Task, "after"> | undefined,
): string | null {
  if (!lookup(after)) return `after: no task with id ${after}`;
  const seen = new Set([id]);
  for (let at: string | null | undefined = after; at; at = lookup(at)?.after) {
    if (seen.has(at))
      return `after: ${after} would make a cycle of chained tasks (${[...seen, at].join(" → ")})`;
    seen.add(at);
  }
  return null;
}
