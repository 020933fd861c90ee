import {
  descendantsOf,
  isRunning,
  isSafeGroup,
  listProcesses,
  type ProcInfo,
  signal,
} from "./process-tree.ts";
import { findMarked, type SweepMethod } from "./sweep.ts";
import { type Target, terminate, until } from "./terminate.ts";

export interface StopOptions {
  /**
   * SIGINT to the agent → up to graceMs → SIGKILL to the agent; then SIGTERM to every other
   * process of its tree → up to graceMs → SIGKILL (default 3000).
   */
  graceMs?: number;
  /** The run's environment marker: whatever still carries it afterwards is stopped too. */
  marker?: string | undefined;
  sweepMethod?: SweepMethod | undefined;
}

/**
 * Stops an agent and everything it started. The agent was spawned detached, so its pid is its
 * process group id. It gets SIGINT (claude then stops its own tool processes and exits within
 * ~0.2 s) and, if it has not exited within the grace, SIGKILL. Only the agent itself is killed
 * outright: every other process of its tree (its group, the tool processes that live in their own
 * sessions, found from a snapshot taken before signalling and by the run's environment marker,
 * which also finds those whose parent already exited) gets SIGTERM and a grace to run its own
 * cleanup before SIGKILL. At most 2 × graceMs plus the look-ups.
 */
export async function stopProcessTree(pid: number, opts: StopOptions = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 3000;
  const known = new Map<number, ProcInfo>();
  const snapshot = async () => {
    try {
      const procs = await listProcesses();
      for (const d of treeOf(pid, procs)) known.set(d.pid, d);
      return procs;
    } catch {
      return [];
    }
  };
  const procs = await snapshot();
  if (isSafeGroup(pid, procs)) signal(-pid, "SIGINT");
  else signal(pid, "SIGINT");
  await until(() => !isRunning(pid), graceMs);
  await snapshot();
  signal(pid, "SIGKILL");
  await stopTheRest(pid, known, opts.marker, opts.sweepMethod, graceMs);
}

/**
 * What a finished run left behind: the processes of its tree that are still alive (tool processes
 * in their own session), found by the run's marker. SIGTERM, grace, SIGKILL. Returns how many.
 */
export async function sweepRun(
  pid: number,
  opts: { marker?: string | undefined; sweepMethod?: SweepMethod | undefined; graceMs?: number | undefined },
): Promise<number> {
  return stopTheRest(pid, new Map(), opts.marker, opts.sweepMethod, opts.graceMs ?? 3000);
}

/** The agent's descendants and the other members of its process group (not the agent itself). */
function treeOf(root: number, procs: readonly ProcInfo[]): ProcInfo[] {
  const tree = new Map(descendantsOf(root, procs).map((p) => [p.pid, p]));
  for (const p of procs) if (p.pgid === root && p.pid !== root) tree.set(p.pid, p);
  return [...tree.values()];
}

/** Every process of the agent's tree but the agent: SIGTERM → grace → SIGKILL (terminate.ts). */
async function stopTheRest(
  root: number,
  known: Map<number, ProcInfo>,
  marker: string | undefined,
  sweepMethod: SweepMethod | undefined,
  graceMs: number,
): Promise<number> {
  const find = async (): Promise<Target[]> => {
    let procs: ProcInfo[] = [];
    try {
      procs = await listProcesses();
    } catch {
      // No listing: the marker still finds them.
    }
    for (const d of treeOf(root, procs)) known.set(d.pid, d);
    const alive = new Map(procs.map((p) => [p.pid, p]));
    const targets = new Map<number, Target>();
    // A known pid still alive with the same process group is the same process (not a reused pid).
    for (const k of known.values()) {
      if (k.pid === root || alive.get(k.pid)?.pgid !== k.pgid) continue;
      targets.set(k.pid, { pid: k.pid, group: isSafeGroup(k.pgid, procs) ? k.pgid : undefined });
    }
    if (marker) {
      for (const m of await findMarked([marker], sweepMethod)) {
        if (m.pid !== root && !targets.has(m.pid)) targets.set(m.pid, { pid: m.pid });
      }
    }
    return [...targets.values()];
  };
  return (await terminate(find, graceMs)).length;
}
