import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { eachProcFile } from "./process-tree.ts";
import { terminate } from "./terminate.ts";

const execFileP = promisify(execFile);

/**
 * Every agent run gets `LOOP_RUN_MARKER=<unique>` in its environment. Children inherit it through
 * fork, exec, `setsid` and re-parenting to init, so the processes a run left behind can be found
 * even after their parent is gone, and even after the server that started them died.
 */
export const MARKER_VAR = "LOOP_RUN_MARKER";

export const newMarker = (): string => `loop-${randomUUID()}`;

export type SweepMethod = "proc" | "ps";

/** How long a marked process has between SIGTERM and SIGKILL unless told (LOOP_KILL_GRACE_MS's default). */
export const DEFAULT_TOOL_GRACE_MS = 3000;

/** /proc/<pid>/environ on Linux; `ps eww` (environment after the command) elsewhere. */
export const defaultSweepMethod = (): SweepMethod => (existsSync("/proc/self/environ") ? "proc" : "ps");

export interface MarkedProcess {
  pid: number;
  marker: string;
}

/** The live processes (never this one) whose environment holds one of the markers. */
export async function findMarked(
  markers: readonly string[],
  method: SweepMethod = defaultSweepMethod(),
): Promise<MarkedProcess[]> {
  if (markers.length === 0) return [];
  const wanted = new Set(markers);
  const out: MarkedProcess[] = [];
  if (method === "proc") {
    const prefix = `${MARKER_VAR}=`;
    await eachProcFile("environ", (pid, env) => {
      // Most processes are not loop's runs: not worth splitting their environment.
      if (pid === process.pid || !env.includes(prefix)) return;
      const m = markerIn(env.split("\0"), wanted);
      if (m) out.push({ pid, marker: m });
    });
    return out;
  }
  const { stdout } = await execFileP("ps", ["eww", "-A", "-o", "pid=,command="], {
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const line of stdout.split("\n")) {
    const t = line.trim();
    const pid = Number(t.slice(0, t.indexOf(" ")));
    if (!pid || pid === process.pid) continue;
    const m = markerIn(t.split(/\s+/), wanted);
    if (m) out.push({ pid, marker: m });
  }
  return out;
}

function markerIn(words: readonly string[], wanted: ReadonlySet<string>): string | undefined {
  const prefix = `${MARKER_VAR}=`;
  for (const w of words) {
    if (w.startsWith(prefix) && wanted.has(w.slice(prefix.length))) return w.slice(prefix.length);
  }
  return undefined;
}

/**
 * Stops every process carrying one of the markers, until none is left (processes may fork while we
 * look): SIGTERM, up to graceMs for it to exit and clean up after itself, then SIGKILL. None of them
 * is an agent (an agent is stopped by its process group first): they are its tool processes.
 * Returns the pids that were stopped.
 */
export async function killMarked(
  markers: readonly string[],
  method: SweepMethod = defaultSweepMethod(),
  graceMs = DEFAULT_TOOL_GRACE_MS,
): Promise<number[]> {
  return terminate(() => findMarked(markers, method), graceMs);
}
