import { type AgentName, addUsage, emptyUsage, type Task } from "@loop/shared";
import type { AgentOutcome, AgentRequest } from "../agents/index.ts";
import { MAX_LINE_CHARS, newMarker, processStartTime } from "../runner/index.ts";
import { recordRateLimits } from "./limits.ts";
import { mib, OutputBudget } from "./output-budget.ts";
import { PartialRelay } from "./partial-relay.ts";
import type { RunContext } from "./run-context.ts";

/** What the loop sets of every run; the step adds the prompt, the output file and the session. */
export type AgentOptions = Omit<
  AgentRequest,
  "outputFile" | "prompt" | "resumeSessionId" | "maxBudgetUsd" | "allowedCommands"
>;

/**
 * The commands a task's worker may run without asking: LOOP_ALLOWED_COMMANDS, the task's own and
 * its check command (always: the worker may run the very check loop runs), each once.
 */
export function allowedCommands(
  task: Pick<Task, "allowedCommands" | "checkCommand">,
  settings: { allowedCommands: readonly string[] },
): string[] {
  const all = [
    ...settings.allowedCommands,
    ...task.allowedCommands,
    ...(task.checkCommand ? [task.checkCommand] : []),
  ];
  return [...new Set(all.map((c) => c.trim()).filter(Boolean))];
}

/**
 * Runs one agent: a record of its processes (its environment marker first, then pid, group and
 * start time) so a later server can stop what a crash left behind, its output budget, and the
 * agent.started / agent.output / agent.finished events.
 */
export async function runRecordedAgent(
  ctx: RunContext,
  n: number,
  agent: AgentName,
  run: (o: AgentOptions) => Promise<AgentOutcome>,
): Promise<AgentOutcome> {
  const { repos, bus, settings } = ctx.deps;
  const taskId = ctx.task.id;
  const marker = newMarker();
  // Recorded before the spawn: if this server dies, the next one finds the run's processes by it.
  const record = await ctx.write(() => repos.agentRuns.begin({ taskId, iteration: n, agent, marker }));
  const budget = new OutputBudget(settings.maxOutputBytes);
  const partial = new PartialRelay(bus, taskId, n, agent);
  let outcome: AgentOutcome;
  try {
    outcome = await run({
      cwd: ctx.workingDir,
      timeoutMs: settings.iterationTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs || undefined,
      graceMs: settings.killGraceMs,
      exitGraceMs: settings.exitGraceMs,
      // An answer up to the output cap is parsed whole: its result line is longer still (JSON escapes).
      maxLineChars: Math.max(MAX_LINE_CHARS, 2 * settings.maxOutputBytes),
      signal: ctx.signal,
      env: settings.env,
      marker,
      onStart: ({ pid, argv }) => {
        ctx.send("agent.started", { agent, pid: pid ?? null, argv }, n);
        if (pid === undefined) return;
        void processStartTime(pid).then((procStart) =>
          safely(() => repos.agentRuns.spawned(record.id, { pid, pgid: pid, procStart })),
        );
      },
      onPartial: (text) => partial.push(text),
      onLine: (stream, line, parsed) => {
        if (stream === "stdout") partial.clear();
        if (budget.take(line)) bus.emitOutput(taskId, n, agent, stream, line, parsed);
        else if (budget.droppedLines === 1) {
          ctx.send(
            "task.warning",
            {
              message: `${agent} printed more than ${mib(budget.limit)} in iteration ${n} (LOOP_MAX_OUTPUT_MB): further lines are not stored; the run goes on`,
            },
            n,
          );
        }
      },
    });
  } finally {
    partial.clear();
    // The runner resolves only once the run's processes are gone.
    safely(() => repos.agentRuns.end(record.id));
  }
  if (outcome.ok && outcome.warning) ctx.send("task.warning", { message: outcome.warning }, n);
  if (budget.droppedLines > 0) {
    ctx.send(
      "task.warning",
      {
        message: `${agent} output not stored in iteration ${n}: ${budget.droppedLines} lines, ${mib(budget.droppedBytes)}`,
      },
      n,
    );
  }
  ctx.send(
    "agent.finished",
    {
      agent,
      exitCode: outcome.exitCode,
      durationMs: outcome.durationMs,
      ok: outcome.ok,
      ...(!outcome.ok && { error: outcome.error, errorKind: outcome.errorKind }),
      ...(outcome.usage && { usage: outcome.usage }),
    },
    n,
  );
  return outcome;
}

/**
 * After a run: the subscription windows it reported, and what it used added to its iteration and the
 * task in one transaction (then the two row events and task.usage). The task row when it changed.
 */
export async function recordUsage(
  ctx: RunContext,
  n: number,
  agent: AgentName,
  outcome: AgentOutcome,
): Promise<Task | null> {
  const { repos, bus } = ctx.deps;
  const id = ctx.taskId;
  const usage = outcome.usage;
  await ctx.write(() => recordRateLimits(repos, agent, outcome.rateLimits));
  if (!usage) return null;
  const { it, task } = await ctx.write(() =>
    repos.transaction(() => {
      const was = repos.iterations.get(id, n);
      const it = repos.iterations.update(id, n, { usage: addUsage(was?.usage ?? emptyUsage(), usage) });
      return { it, task: repos.tasks.update(id, { usage: repos.iterations.usageTotal(id) }) };
    }),
  );
  bus.iterationUpdated(id, n, { usage: it.usage });
  bus.taskUpdated(id, { usage: task.usage });
  ctx.send("task.usage", { agent, usage, total: task.usage }, n);
  return task;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Bookkeeping only: the next start-up sweep covers a run that could not be recorded.
  }
}
