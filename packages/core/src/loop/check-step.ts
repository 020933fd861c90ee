import type { CheckResult } from "@loop/shared";
import type { CheckReport } from "../prompts/check.ts";
import { newMarker, processStartTime, runProcess } from "../runner/index.ts";
import { mib, OutputBudget } from "./output-budget.ts";
import type { RunContext } from "./run-context.ts";

/** The `agent` of a check's row in agent_runs (a later server finds and stops what it left by its marker). */
export const CHECK_RUN = "check";

/** `NNN-check.md`. */
export const checkFile = (n: number) => `${String(n).padStart(3, "0")}-check.md`;

/** Characters of a check's output kept: in NNN-check.md and (the end of it) in the prompts. */
export const CHECK_ARTIFACT_TAIL = 64 * 1024;
/** …and in the iteration's row, for a resumed run's prompts. */
export const CHECK_STORED_TAIL = 16 * 1024;

/** The last `max` characters of the lines pushed, whole lines where it can. */
export class Tail {
  private lines: string[] = [];
  private size = 0;
  dropped = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(line: string): void {
    this.lines.push(line);
    this.size += line.length + 1;
    while (this.size > this.max && this.lines.length > 1) {
      this.size -= this.lines.shift()!.length + 1;
      this.dropped++;
    }
  }
  text(): string {
    const t = this.lines.join("\n");
    return t.length > this.max ? t.slice(-this.max) : t;
  }
}

/** How a check ended: its report, or `stopped` (a cancel, a server stop, a fault) with nothing recorded. */
export type CheckOutcome = { stopped: false; report: CheckReport } | { stopped: true };

/**
 * loop's own check of iteration n: the task's checkCommand with `sh -c` in the run's directory, through
 * the runner (its own process group, recorded with its marker like an agent, stopped on cancel, on
 * checkTimeoutMs and on a server stop), each line a check.output event (capped like agent output).
 * A finished check is written as NNN-check.md, then the iteration's `check` (from then on a resume
 * goes to the review), then check.finished.
 */
export async function runCheck(ctx: RunContext, n: number): Promise<CheckOutcome> {
  const { repos, bus, settings, artifacts } = ctx.deps;
  const { taskId } = ctx;
  const command = ctx.task.checkCommand ?? "";
  const timeoutMs = ctx.task.checkTimeoutMs;
  const marker = newMarker();
  const record = await ctx.write(() =>
    repos.agentRuns.begin({ taskId, iteration: n, agent: CHECK_RUN, marker }),
  );
  ctx.send("check.started", { command }, n);
  const budget = new OutputBudget(settings.maxOutputBytes);
  const tail = new Tail(CHECK_ARTIFACT_TAIL);
  let run: Awaited<ReturnType<typeof runProcess>>;
  try {
    run = await runProcess({
      bin: "sh",
      args: ["-c", command],
      input: "",
      cwd: ctx.workingDir,
      env: settings.env,
      marker,
      timeoutMs,
      graceMs: settings.killGraceMs,
      signal: ctx.signal,
      onSpawn: (pid) => {
        if (pid === undefined) return;
        void processStartTime(pid).then((procStart) =>
          safely(() => repos.agentRuns.spawned(record.id, { pid, pgid: pid, procStart })),
        );
      },
      onLine: (stream, line) => {
        tail.push(line);
        if (budget.take(line)) bus.emitCheckOutput(taskId, n, stream, line);
        else if (budget.droppedLines === 1) {
          ctx.send(
            "task.warning",
            {
              message: `the check printed more than ${mib(budget.limit)} in iteration ${n} (LOOP_MAX_OUTPUT_MB): further lines are not stored; it goes on`,
            },
            n,
          );
        }
        return true;
      },
    });
  } finally {
    safely(() => repos.agentRuns.end(record.id));
  }
  if (run.failure?.kind === "cancelled") return { stopped: true };
  const timedOut = run.failure?.kind === "timeout";
  if (run.failure?.kind === "spawn_failed") tail.push(run.failure.message);
  const result: CheckResult = {
    exitCode: run.exitCode,
    ok: run.failure === null && run.exitCode === 0,
    durationMs: run.durationMs,
    timedOut,
  };
  const output = tail.text();
  const report: CheckReport = { ...result, command, output };
  await artifacts.write(taskId, checkFile(n), checkMarkdown(n, report, timeoutMs, tail.dropped));
  await ctx.updateIteration(n, { check: result, checkOutput: output.slice(-CHECK_STORED_TAIL) });
  ctx.send(
    "check.finished",
    { command, exitCode: result.exitCode, ok: result.ok, durationMs: result.durationMs, timedOut },
    n,
  );
  return { stopped: false, report };
}

/** NNN-check.md: the command, exit code, duration and the output (its tail when long). */
export function checkMarkdown(n: number, c: CheckReport, timeoutMs: number, droppedLines = 0): string {
  const fence = "`".repeat(Math.max(3, ...[...c.output.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [
    `# Check of iteration ${n}: ${c.ok ? "passed" : "FAILED"}`,
    "",
    `- Command: \`${c.command}\``,
    `- Exit code: ${c.exitCode ?? "none"}${c.timedOut ? ` (timed out after ${timeoutMs} ms; its process tree was killed)` : ""}`,
    `- Duration: ${(c.durationMs / 1000).toFixed(1)} s`,
    "",
    droppedLines > 0
      ? `Output (the last ${CHECK_ARTIFACT_TAIL / 1024} KiB; ${droppedLines} earlier lines left out):`
      : "Output:",
    "",
    `${fence}text`,
    c.output,
    fence,
    "",
  ].join("\n");
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Bookkeeping only: the next start-up sweep covers a run that could not be recorded.
  }
}
