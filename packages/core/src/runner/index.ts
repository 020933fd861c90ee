import { existsSync } from "node:fs";
import { loadExeca } from "./execa.ts";
import { LineSplitter } from "./lines.ts";
import { stopProcessTree, sweepRun } from "./stop.ts";
import { MARKER_VAR, type SweepMethod } from "./sweep.ts";
import { Watchdog, type WatchdogReason } from "./watchdog.ts";

export { execShort, type ShortResult } from "./exec.ts";
export { LineSplitter, MAX_LINE_CHARS } from "./lines.ts";
export { descendantsOf, isAlive, isRunning, listProcesses, processStartTime } from "./process-tree.ts";
export { stopProcessTree } from "./stop.ts";
export {
  defaultSweepMethod,
  findMarked,
  killMarked,
  MARKER_VAR,
  type MarkedProcess,
  newMarker,
  type SweepMethod,
} from "./sweep.ts";

export interface RunOptions {
  bin: string;
  args: readonly string[];
  /** Written to stdin, then stdin is closed. */
  input: string;
  cwd: string;
  /** Merged over the server's environment. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Put in the environment as LOOP_RUN_MARKER: everything the run starts can be found by it. */
  marker?: string | undefined;
  sweepMethod?: SweepMethod | undefined;
  /** Wall-clock limit (off once the agent has answered). */
  timeoutMs: number;
  /**
   * Stop when the process made no progress for this long (0/undefined = off): no output, or only
   * lines for which onLine returned false (retry notices of a CLI waiting for the network forever).
   */
  idleTimeoutMs?: number | undefined;
  /**
   * SIGINT to the agent → wait graceMs → SIGKILL; every other process of its tree SIGTERM → wait
   * graceMs → SIGKILL (default 3000; stop.ts).
   */
  graceMs?: number | undefined;
  /** Abort = cancel, with the same stop sequence. */
  signal?: AbortSignal | undefined;
  onSpawn?(pid: number | undefined): void;
  /**
   * True once the agent has given its answer (its result line). From then on no timer can fail the
   * run; if it has not exited within exitGraceMs, its tree is stopped and the run counts as
   * finished (`lingered`).
   */
  isDone?(): boolean;
  exitGraceMs?: number | undefined;
  /** Longest line handed to onLine whole (longer ones come in pieces); default MAX_LINE_CHARS. */
  maxLineChars?: number | undefined;
  /** Each line as it arrives, without its newline. Return false for a line that is not progress. */
  onLine(stream: "stdout" | "stderr", line: string): boolean | undefined;
}

export type RunFailureKind = "timeout" | "idle_timeout" | "cancelled" | "spawn_failed";

export interface RunResult {
  pid: number | undefined;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** null: the process exited on its own (with any code), or lingered after its answer. */
  failure: { kind: RunFailureKind; message: string } | null;
  /** The last ~8 KiB of stderr, for error messages. */
  stderrTail: string;
  /** Processes of the run still alive after it ended, which were killed. */
  strays: number;
  /** It answered but did not exit within exitGraceMs; its tree was stopped. */
  lingered: boolean;
}

const STDERR_TAIL = 8 * 1024;
/** After the agent exited, its pipes are read until they end or stay silent this long… */
const PIPE_QUIET_MS = 2000;
/** …but not longer than this (a stray that holds them open and prints forever). */
const PIPE_MAX_MS = 60_000;

/**
 * Resolves when `done` does, or once `lastData()` is PIPE_QUIET_MS old. Checked after a
 * setImmediate: when the event loop was busy, a timer runs before the I/O already waiting in the
 * pipe is read, and that data must count.
 */
function untilQuiet(done: Promise<unknown>, lastData: () => number): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = () => {
      finished = true;
      if (timer) clearTimeout(timer);
      resolve();
    };
    void done.then(finish, finish);
    const deadline = performance.now() + PIPE_MAX_MS;
    const check = () => {
      if (finished) return;
      const quiet = performance.now() - lastData();
      if (quiet >= PIPE_QUIET_MS || performance.now() >= deadline) finish();
      else timer = setTimeout(() => setImmediate(check), PIPE_QUIET_MS - quiet);
    };
    setImmediate(check);
  });
}

/**
 * Runs one agent CLI: no shell, argv array, prompt on stdin, its own process group, output read
 * line by line as it arrives and never buffered whole. Never rejects: every way a run can end is
 * a RunResult. It resolves only once nothing the run started is left (found by its tree and by
 * its environment marker). This folder is the only code that spawns processes.
 */
export async function runProcess(opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const graceMs = opts.graceMs ?? 3000;
  let failure: RunResult["failure"] = null;
  let stderrTail = "";
  const stopOpts = { graceMs, marker: opts.marker, sweepMethod: opts.sweepMethod };

  const { execa } = await loadExeca();
  const child = execa(opts.bin, [...opts.args], {
    cwd: opts.cwd,
    env: opts.marker ? { ...opts.env, [MARKER_VAR]: opts.marker } : opts.env,
    input: opts.input,
    detached: true,
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    // We stop the tree ourselves (stop.ts); execa's cleanup skips detached children.
    cleanup: false,
  });
  const pid = child.pid;
  // Listen for 'exit' (not execa's promise): a grandchild holding our pipes open must not keep
  // the run waiting after the agent itself has exited.
  const cp = child.nodeChildProcess;
  const exited =
    pid === undefined
      ? undefined
      : new Promise<{ code: number | null; sig: string | null }>((resolve) => {
          if (cp.exitCode !== null || cp.signalCode !== null)
            resolve({ code: cp.exitCode, sig: cp.signalCode });
          else cp.once("exit", (code, sig) => resolve({ code, sig }));
        });
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  let strays = 0;
  let lingered = false;
  // Kept so the run resolves only after the whole tree is gone (the agent itself exits first).
  let stopping: Promise<void> | undefined;
  const stopTree = () => {
    stopping ??= pid === undefined ? Promise.resolve() : stopProcessTree(pid, stopOpts);
    return stopping;
  };
  const watchdog = new Watchdog({
    timeoutMs: opts.timeoutMs,
    idleMs: opts.idleTimeoutMs,
    exitGraceMs: opts.exitGraceMs,
    fire: (reason: WatchdogReason) => {
      if (failure || stopping) return;
      if (reason === "lingered") lingered = true;
      else
        failure = {
          kind: reason,
          message:
            reason === "timeout"
              ? `timed out after ${opts.timeoutMs} ms`
              : `no output for ${opts.idleTimeoutMs} ms`,
        };
      void stopTree();
    },
  });
  const onAbort = () => {
    if (failure || stopping) return;
    failure = { kind: "cancelled", message: "cancelled" };
    void stopTree();
  };
  try {
    opts.onSpawn?.(pid);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    let lastData = performance.now();
    const splitters: LineSplitter[] = [];
    const wire = (stream: "stdout" | "stderr") => {
      const src = child[stream];
      if (!src) return Promise.resolve();
      const splitter = new LineSplitter((line) => {
        try {
          if (opts.onLine(stream, line) !== false) watchdog.progress();
          if (opts.isDone?.()) watchdog.answer();
        } catch {
          // A failing consumer must not break the read loop.
          watchdog.progress();
        }
      }, opts.maxLineChars);
      splitters.push(splitter);
      return new Promise<void>((resolve) => {
        src.on("data", (chunk: Buffer) => {
          lastData = performance.now();
          // Part of a long line still arriving counts as progress; whole lines are judged by onLine.
          if (!chunk.includes(10)) watchdog.progress();
          if (stream === "stderr") stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
          splitter.push(chunk);
        });
        src.on("end", () => {
          splitters.splice(splitters.indexOf(splitter), 1);
          splitter.end();
          resolve();
        });
        src.on("error", () => resolve());
        src.on("close", () => resolve());
      });
    };
    const reading = Promise.all([wire("stdout"), wire("stderr")]);

    if (exited) {
      const e = await exited;
      exitCode = e.code;
      exitSignal = e.sig;
      // Output may still be in the pipes after the exit: read on while it keeps coming, however
      // long that takes (a cut at a fixed time lost the tail of a long result line); stop once
      // the pipes end, or once nothing came for PIPE_QUIET_MS (strays may hold them open).
      await untilQuiet(reading, () => lastData);
      child.stdout?.destroy();
      child.stderr?.destroy();
      // A last line without a newline, in a pipe a stray kept open, is still a line.
      for (const s of splitters.splice(0)) s.end();
      child.catch(() => {});
    } else {
      const result = (await child) as unknown as {
        code?: string;
        originalMessage?: string;
        shortMessage?: string;
      };
      failure = { kind: "spawn_failed", message: spawnFailure(opts, result) };
    }
    watchdog.stop();
    opts.signal?.removeEventListener("abort", onAbort);

    // A stop in progress (timeout, idle, cancel, linger) finishes its sweep before the run resolves.
    if (stopping) await stopping;
    // Anything the agent left behind (tool processes in their own session) is stopped too.
    else if (pid !== undefined) strays = await sweepRun(pid, stopOpts);
  } catch (err) {
    // Whatever went wrong on our side, the agent's tree must not outlive the run.
    watchdog.stop();
    if (pid !== undefined) await stopProcessTree(pid, { ...stopOpts, graceMs: 0 }).catch(() => {});
    throw err;
  }
  return {
    pid,
    exitCode,
    signal: exitSignal,
    durationMs: Math.round(performance.now() - started),
    failure,
    stderrTail,
    strays,
    lingered,
  };
}

function spawnFailure(
  opts: RunOptions,
  r: { code?: string; originalMessage?: string; shortMessage?: string },
): string {
  // ENOENT also comes for a working directory that is gone: say which it is.
  if (!existsSync(opts.cwd)) return `the working directory ${opts.cwd} does not exist (any more)`;
  if (r.code === "ENOENT") return `could not start "${opts.bin}": no such file, or not found on PATH`;
  return `could not start "${opts.bin}": ${r.originalMessage ?? r.shortMessage ?? r.code ?? "unknown error"}`;
}
