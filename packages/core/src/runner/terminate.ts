import { isRunning, signal } from "./process-tree.ts";

export interface Target {
  pid: number;
  /** Its process group, when that may be signalled too (never ours, never init's). */
  group?: number | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once check() is true or ms have passed; whether it became true. */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * SIGTERM, a grace, then SIGKILL, for every process find() returns (looked for again a few times:
 * a dying process may have forked). A process that is not the agent itself gets the chance to run
 * its own cleanup: a shell killed outright in the middle of its start-up files can leave a lock
 * behind (pyenv's rehash lock made every new shell on the machine wait 60 s). One grace window in
 * all, so the wait is bounded by graceMs plus the look-ups. Returns the pids it stopped.
 */
export async function terminate(find: () => Promise<Target[]>, graceMs: number): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  const stopped = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const targets = (await find()).filter((t) => isRunning(t.pid));
    if (targets.length === 0) break;
    // One signal each: a group once (its members are targets), the others by pid.
    const send = (sig: NodeJS.Signals, which: Target[]) => {
      const groups = new Set<number>();
      for (const t of which) {
        if (t.group && groups.has(t.group)) continue;
        if (t.group) groups.add(t.group);
        signal(t.group ? -t.group : t.pid, sig);
      }
    };
    send("SIGTERM", targets);
    for (const t of targets) stopped.add(t.pid);
    await until(() => targets.every((t) => !isRunning(t.pid)), deadline - Date.now());
    const left = targets.filter((t) => isRunning(t.pid));
    send("SIGKILL", left);
    await sleep(20);
  }
  return [...stopped];
}
