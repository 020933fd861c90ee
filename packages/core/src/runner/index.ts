import { StringDecoder } from "node:string_decoder";
import { execa } from "execa";
import { descendantsOf, isAlive, isSafeGroup, listProcesses, type ProcInfo, signal } from "./process-tree.ts";

export { descendantsOf, isAlive, listProcesses } from "./process-tree.ts";

export interface RunOptions {
  bin: string;
  args: readonly string[];
  /** Written to stdin, then stdin is closed. */
  input: string;
  cwd: string;
  /** Merged over process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Wall-clock limit. */
  timeoutMs: number;
  /**
   * Stop when the process made no progress for this long (0/undefined = off): no output, or only
   * lines for which onLine returned false (retry notices of a CLI waiting for the network forever).
   */
  idleTimeoutMs?: number | undefined;
  /** SIGINT → wait graceMs → SIGKILL (default 3000). */
  graceMs?: number | undefined;
  /** Abort = cancel, with the same stop sequence. */
  signal?: AbortSignal | undefined;
  onSpawn?(pid: number | undefined): void;
  /**
   * True once the agent has given its answer (its result line). If it then has not exited within
   * exitGraceMs, its tree is stopped and the run counts as finished (`lingered`), not failed.
   */
  isDone?(): boolean;
  exitGraceMs?: number | undefined;
  /** Each line as it arrives, without its newline. Return false for a line that is not progress. */
  onLine(stream: "stdout" | "stderr", line: string): boolean | undefined;
}

export type RunFailureKind = "timeout" | "idle_timeout" | "cancelled" | "spawn_failed";

export interface RunResult {
  pid: number | undefined;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** null: the process exited on its own (with any code). */
  failure: { kind: RunFailureKind; message: string } | null;
  /** The last ~8 KiB of stderr, for error messages. */
  stderrTail: string;
  /** Descendants still alive after the process exited, which were killed. */
  strays: number;
  /** It answered but did not exit within exitGraceMs; its tree was stopped. */
  lingered: boolean;
}

/** A single line longer than this is delivered in pieces, so one runaway line cannot exhaust memory. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
const STDERR_TAIL = 8 * 1024;
/** How often the descendant tree is sampled while running, to find strays that escape their parent. */
const TREE_SAMPLE_MS = 2000;

/** Splits a byte stream into lines (\n or \r\n) without holding more than one partial line. */
class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private readonly emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.emit = emit;
  }

  push(chunk: Buffer): void {
    let text = this.partial + this.decoder.write(chunk);
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      const line = text.slice(0, nl);
      this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
      text = text.slice(nl + 1);
      nl = text.indexOf("\n");
    }
    while (text.length > MAX_LINE_CHARS) {
      this.emit(text.slice(0, MAX_LINE_CHARS));
      text = text.slice(MAX_LINE_CHARS);
    }
    this.partial = text;
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest.length > 0) this.emit(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
  }
}

/**
 * Runs one agent CLI: no shell, argv array, prompt on stdin, its own process group, output read
 * line by line as it arrives and never buffered whole. Never rejects: every way a run can end is
 * a RunResult. This module (with process-tree.ts) is the only code that spawns agent processes.
 */
export async function runProcess(opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const graceMs = opts.graceMs ?? 3000;
  let failure: RunResult["failure"] = null;
  let stderrTail = "";
  const known = new Map<number, ProcInfo>();

  const child = execa(opts.bin, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input,
    detached: true,
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    // We stop the tree ourselves (group SIGINT → SIGKILL → sweep); execa's cleanup skips detached children.
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
  try {
    opts.onSpawn?.(pid);

    // Kept so the run resolves only after the whole tree is gone (the agent itself exits first).
    let stopping: Promise<void> | undefined;
    const stop = (kind: RunFailureKind, message: string): Promise<void> => {
      if (failure) return stopping ?? Promise.resolve();
      failure = { kind, message };
      stopping =
        pid === undefined ? Promise.resolve() : stopProcessTree(pid, { graceMs, known }).then(() => {});
      return stopping;
    };

    const timers: NodeJS.Timeout[] = [];
    let idleTimer: NodeJS.Timeout | undefined;
    const resetIdle = () => {
      if (!opts.idleTimeoutMs) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => void stop("idle_timeout", `no output for ${opts.idleTimeoutMs} ms`),
        opts.idleTimeoutMs,
      );
    };
    if (pid !== undefined) {
      timers.push(
        setTimeout(() => void stop("timeout", `timed out after ${opts.timeoutMs} ms`), opts.timeoutMs),
      );
      resetIdle();
      const sample = setInterval(() => {
        listProcesses()
          .then((procs) => {
            for (const d of descendantsOf(pid, procs)) known.set(d.pid, d);
          })
          .catch(() => {});
      }, TREE_SAMPLE_MS);
      timers.push(sample);
    }
    let doneTimer: NodeJS.Timeout | undefined;
    const armExitGrace = () => {
      doneTimer = setTimeout(() => {
        if (failure || stopping || pid === undefined) return;
        lingered = true;
        stopping = stopProcessTree(pid, { graceMs, known }).then(() => {});
      }, opts.exitGraceMs);
      timers.push(doneTimer);
    };
    const onAbort = () => void stop("cancelled", "cancelled");
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    const wire = (stream: "stdout" | "stderr") => {
      const src = child[stream];
      if (!src) return Promise.resolve();
      const splitter = new LineSplitter((line) => {
        try {
          if (opts.onLine(stream, line) !== false) resetIdle();
          if (!doneTimer && opts.exitGraceMs && opts.isDone?.()) armExitGrace();
        } catch {
          // A failing consumer must not break the read loop.
          resetIdle();
        }
      });
      return new Promise<void>((resolve) => {
        src.on("data", (chunk: Buffer) => {
          // Part of a long line still arriving counts as progress; whole lines are judged by onLine.
          if (!chunk.includes(10)) resetIdle();
          if (stream === "stderr") stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
          splitter.push(chunk);
        });
        src.on("end", () => {
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
      // Output may still be in the pipes after the exit; bounded, since strays may hold them open.
      await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.catch(() => {});
    } else {
      const result = (await child) as unknown as {
        code?: string;
        originalMessage?: string;
        shortMessage?: string;
      };
      failure = {
        kind: "spawn_failed",
        message: `could not start "${opts.bin}": ${result.code === "ENOENT" ? "no such file, or not found on PATH" : (result.originalMessage ?? result.shortMessage ?? result.code ?? "unknown error")}`,
      };
    }
    for (const t of timers) clearTimeout(t);
    if (idleTimer) clearTimeout(idleTimer);
    opts.signal?.removeEventListener("abort", onAbort);

    // A stop in progress (timeout, idle, cancel) finishes its sweep before the run resolves.
    if (stopping) await stopping;
    // Anything the agent left behind (tool processes in their own session) is stopped too.
    if (pid !== undefined && !failure) strays = await killStrays(pid, known);
  } catch (err) {
    // Whatever went wrong on our side, the agent's tree must not outlive the run.
    if (pid !== undefined) await stopProcessTree(pid, { graceMs: 0, known }).catch(() => {});
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

/**
 * Stops a process group and everything that escaped it. The child was spawned detached, so its
 * pid is its process group id. claude's tool subprocesses live in their own sessions and survive
 * a signal to claude's group; they are found from a `ps` snapshot taken before signalling.
 */
export async function stopProcessTree(
  pid: number,
  opts: { graceMs?: number; known?: Map<number, ProcInfo> } = {},
): Promise<void> {
  const graceMs = opts.graceMs ?? 3000;
  const known = opts.known ?? new Map<number, ProcInfo>();
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
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  procs = [...procs, ...(await snapshot())];
  if (isSafeGroup(pid, procs)) signal(-pid, "SIGKILL");
  signal(pid, "SIGKILL");
  await killStrays(pid, known, procs);
}

/** SIGKILLs known descendants (and their groups) that are still alive; re-checks once for late spawns. */
async function killStrays(
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
      killed++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}
