import {
  descendantsOf,
  isRunning,
  isSafeGroup,
  listProcesses,
  type ProcInfo,
  signal,
} from "./process-tree.ts";
import { killMarked, type SweepMethod } from "./sweep.ts";

export interface StopOptions {
  /** SIGINT → wait graceMs → SIGKILL (default 3000). */
  graceMs?: number;
  /** The run's environment marker: whatever still carries it afterwards is killed too. */
  marker?: string | undefined;
  sweepMethod?: SweepMethod | undefined;
}

/**
 * Stops a process group and everything that escaped it. The child was spawned detached, so its
 * pid is its process group id. claude's tool subprocesses live in their own sessions and survive
 * a signal to claude's group; they are found from a `ps` snapshot taken before signalling, and by
 * the run's environment marker afterwards (which also finds those whose parent already exited).
 */
export async function stopProcessTree(pid: number, opts: StopOptions = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 3000;
  const known = new Map<number, ProcInfo>();
  const snapshot = async () => {
    try {
      const procs = await listProcesses();
      for (const d of descendantsOf(pid, procs)) known.set(d.pid, d);
      return procs;
    } catch {
      return [];
    }
  };
  let procs = await snapshot();
  // SIGINT first: claude then stops its own tool processes and exits within ~0.2 s.
  if (isSafeGroup(pid, procs)) signal(-pid, "SIGINT");
  else signal(pid, "SIGINT");
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  procs = [...procs, ...(await snapshot())];
  if (isSafeGroup(pid, procs)) signal(-pid, "SIGKILL");
  signal(pid, "SIGKILL");
  await killKnown(pid, known, procs);
  if (opts.marker) await killMarked([opts.marker], opts.sweepMethod);
}

/**
 * What a finished run left behind: its descendants that are still alive (tool processes in their
 * own session), found by the run's marker. Returns how many were killed.
 */
export async function sweepRun(
  pid: number,
  opts: { marker?: string | undefined; sweepMethod?: SweepMethod | undefined },
): Promise<number> {
  const known = new Map<number, ProcInfo>();
  const viaTree = await killKnown(pid, known);
  const viaMarker = opts.marker ? await killMarked([opts.marker], opts.sweepMethod) : [];
  return viaTree + viaMarker.length;
}

/** SIGKILLs known descendants (and their groups) that are still alive; re-checks for late spawns. */
async function killKnown(
  root: number,
  known: Map<number, ProcInfo>,
  procsHint?: ProcInfo[],
): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 3; round++) {
    let procs: ProcInfo[];
    try {
      procs = await listProcesses();
    } catch {
      procs = procsHint ?? [];
    }
    const alive = new Map(procs.map((p) => [p.pid, p]));
    for (const d of descendantsOf(root, procs)) known.set(d.pid, d);
    // A known pid still alive with the same process group is the same process (not a reused pid).
    const targets = [...known.values()].filter((k) => alive.get(k.pid)?.pgid === k.pgid);
    if (targets.length === 0) break;
    for (const t of targets) {
      if (isSafeGroup(t.pgid, procs)) signal(-t.pgid, "SIGKILL");
      signal(t.pid, "SIGKILL");
      known.delete(t.pid);
      killed++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}
