import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
}

/**
 * Every process on the machine with its parent and process group: from /proc on Linux, elsewhere
 * from `ps -A -o pid=,ppid=,pgid=` (POSIX, the same on macOS).
 */
export async function listProcesses(): Promise<ProcInfo[]> {
  return (await fromProc()) ?? (await fromPs());
}

/**
 * Linux: /proc/<pid>/stat, read directly. `ps` is a process start per call, and the run sweeps
 * after every agent run: measured in a 10-iteration loop (pnpm bench, overhead_ratio), its spawns
 * were the largest part of loop's own time. Undefined where there is no /proc.
 */
async function fromProc(): Promise<ProcInfo[] | undefined> {
  const out: ProcInfo[] = [];
  const listed = await eachProcFile("stat", (pid, stat) => {
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses: fields follow the last ")".
    const [, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const info = { pid, ppid: Number(ppid), pgid: Number(pgid) };
    if (!Number.isNaN(info.ppid) && !Number.isNaN(info.pgid)) out.push(info);
  });
  return listed ? out : undefined;
}

/** Files read at once before the event loop gets a turn (well under a millisecond each). */
const PROC_SLICE = 64;

/**
 * Calls `each` with /proc/<pid>/<file> of every process (those that exit meanwhile, or are not ours
 * to read, are skipped); false where there is no /proc. Read synchronously, a slice at a time: the
 * promise API costs four thread-pool round trips per file (open, stat, read, close), and every run
 * sweeps this twice after its agent exits — measured with ~160 processes, 10–16 ms a sweep that way
 * against 2–6 ms like this (pnpm bench, overhead_ms_per_iteration).
 */
export async function eachProcFile(
  file: "stat" | "environ",
  each: (pid: number, text: string) => void,
): Promise<boolean> {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return false;
  }
  if (pids.length === 0) return false;
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % PROC_SLICE === 0) await new Promise((r) => setImmediate(r));
    let text: string;
    try {
      text = readFileSync(`/proc/${pids[i]}/${file}`, "latin1");
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    each(Number(pids[i]), text);
  }
  return true;
}

async function fromPs(): Promise<ProcInfo[]> {
  const { stdout } = await execFileP("ps", ["-A", "-o", "pid=,ppid=,pgid="], { maxBuffer: 16 * 1024 * 1024 });
  const out: ProcInfo[] = [];
  for (const line of stdout.split("\n")) {
    const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
    if (pid && ppid !== undefined && pgid !== undefined && !Number.isNaN(ppid)) out.push({ pid, ppid, pgid });
  }
  return out;
}

/** The processes below `root` (not including it), found by walking parent links. */
export function descendantsOf(root: number, procs: readonly ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: ProcInfo[] = [];
  const stack = [root];
  const seen = new Set<number>([root]);
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Alive and not a zombie. A killed process whose parent died waits for init to reap it; some
 * container inits never do, and a zombie holds nothing but its pid. Linux reads the state from
 * /proc; elsewhere (macOS's launchd reaps at once) it is isAlive.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return !existsSync("/proc/self/stat");
  }
}

/** Sends a signal to a pid (or a process group when negative), ignoring "already gone". */
export function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ESRCH" && code !== "EPERM") throw e;
  }
}

/** Process groups that may be signalled: never init's, never our own (read from the same listing). */
export function isSafeGroup(pgid: number, procs: readonly ProcInfo[]): boolean {
  const own = procs.find((p) => p.pid === process.pid)?.pgid ?? process.pid;
  return pgid > 1 && pgid !== own;
}

/**
 * The OS's start time of a process, to tell it from a later process that got the same pid: on Linux
 * the clock-tick count in /proc/<pid>/stat, elsewhere `ps -o lstart=` (to the second). null: gone.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ? `proc:${fields[19]}` : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" && existsSync("/proc/self/stat")) return null;
  }
  try {
    const { stdout } = await execFileP("ps", ["-o", "lstart=", "-p", String(pid)]);
    return stdout.trim() ? `ps:${stdout.trim()}` : null;
  } catch {
    return null;
  }
}
