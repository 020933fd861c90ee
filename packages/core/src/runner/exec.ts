import { execa } from "execa";

export interface ShortResult {
  /** false: it could not be started (ENOENT, EACCES, …) or did not answer in time. */
  started: boolean;
  notFound: boolean;
  timedOut: boolean;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  message: string;
}

/** Runs a short command (a `--version`, a login check) with a timeout, stdin closed unless given input. Never rejects. */
export async function execShort(
  bin: string,
  args: readonly string[],
  opts: { timeoutMs: number; cwd?: string | undefined; input?: string | undefined },
): Promise<ShortResult> {
  const r = await execa(bin, [...args], {
    timeout: opts.timeoutMs,
    reject: false,
    ...(opts.input === undefined ? { stdin: "ignore" as const } : { input: opts.input }),
    cwd: opts.cwd,
    forceKillAfterDelay: 500,
  });
  return {
    started: !(r.failed && r.exitCode === undefined),
    notFound: (r as { code?: string }).code === "ENOENT",
    timedOut: r.timedOut,
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    message: r.shortMessage ?? "",
  };
}
