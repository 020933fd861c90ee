import { type ChildProcess, spawn } from "node:child_process";

export interface ShortResult {
  /** false: it could not be started (ENOENT, EACCES, …), was killed by a signal or did not answer in time. */
  started: boolean;
  notFound: boolean;
  timedOut: boolean;
  /** undefined when it could not be started or was killed by a signal. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  message: string;
}

/** After a timeout's SIGTERM, how long before SIGKILL. */
const KILL_AFTER_MS = 500;
/** After it exited, how long its pipes may stay open (held by a process it started). */
const PIPE_GRACE_MS = 1000;
/** Output kept per stream (a `--version` prints a line; a CLI gone wrong may print forever). */
const MAX_KEPT = 1024 * 1024;

/**
 * Runs a short command (a `--version`, a login check) with a timeout, stdin closed unless given
 * `input`. Never rejects.
 * Plain child_process, not execa: the server's first /api/health waits for four of these, and
 * execa's per-call set-up cost the start ~30 ms of CPU (pnpm bench, cold_start_ratio).
 */
export function execShort(
  bin: string,
  args: readonly string[],
  opts: { timeoutMs: number; cwd?: string | undefined; input?: string | undefined },
): Promise<ShortResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      const stdin = opts.input === undefined ? "ignore" : "pipe";
      child = spawn(bin, [...args], { cwd: opts.cwd, stdio: [stdin, "pipe", "pipe"] });
    } catch (err) {
      // Arguments spawn refuses outright (a NUL byte in the path…).
      resolve(notStarted(err as NodeJS.ErrnoException, bin, args));
      return;
    }
    // Input (gh pr create's body) goes in whole; a command that does not read it is no error.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.input);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
    }, opts.timeoutMs);
    let settled = false;
    const settle = (r: ShortResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve(r);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      // Could not be started: there is no process to wait for.
      if (child.pid === undefined) settle(notStarted(err, bin, args));
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const command = [bin, ...args].join(" ");
      settle({
        started: code !== null,
        notFound: false,
        timedOut,
        exitCode: code ?? undefined,
        stdout: stdout(),
        stderr: stderr(),
        message: timedOut
          ? `Command timed out after ${opts.timeoutMs} milliseconds: ${command}`
          : code === null
            ? `Command was killed with ${signal}: ${command}`
            : code !== 0
              ? `Command failed with exit code ${code}: ${command}`
              : "",
      });
    };
    child.once("close", finish);
    // A process it left behind may hold the pipes open: the output that came within a moment counts.
    child.once("exit", (code, signal) => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS).unref();
    });
  });
}

function notStarted(err: NodeJS.ErrnoException, bin: string, args: readonly string[]): ShortResult {
  return {
    started: false,
    notFound: err.code === "ENOENT",
    timedOut: false,
    exitCode: undefined,
    stdout: "",
    stderr: "",
    message: `Command failed with ${err.code ?? "an error"}: ${[bin, ...args].join(" ")}\n${err.message}`,
  };
}

/** The stream's text so far (at most MAX_KEPT bytes), without one final newline. */
function collect(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  let kept = 0;
  stream?.on("data", (chunk: Buffer) => {
    if (kept >= MAX_KEPT) return;
    chunks.push(chunk);
    kept += chunk.length;
  });
  return () =>
    Buffer.concat(chunks)
      .subarray(0, MAX_KEPT)
      .toString("utf8")
      .replace(/\r?\n$/, "");
}
