import type { AgentName } from "@loop/shared";
import { type AgentOutcome, agentLabel, parseVerdict } from "../agents/index.ts";
import type { AgentOptions } from "./agent-step.ts";
import { claudeRemaining } from "./budget.ts";
import { ensureNewline, failureMarkdown } from "./reports.ts";
import type { RunContext } from "./run-context.ts";

export type VerdictContext = Pick<RunContext, "deps" | "task" | "taskId" | "signal" | "send">;

/** The cheap follow-up: the verdict alone, in the thread that wrote the review. */
export const VERDICT_PROMPT = [
  "Your review above does not start with a STATUS line.",
  "Reply with your verdict on that review only: exactly one line, `STATUS: DONE` if the work is",
  "complete and correct, or `STATUS: ISSUES_FOUND` if anything in your review still needs fixing.",
  "Do not review again, run no commands, write nothing else.",
].join("\n");

export const verdictFile = (n: number, agent: AgentName, kind: "prompt" | "output") =>
  `${String(n).padStart(3, "0")}-${agent}-verdict-${kind}.md`;

/** What the review of iteration n is, once the verdict has been asked for (if it had to be). */
export type VerdictStep =
  | { kind: "review"; review: string }
  /** The re-ask failed because the run is stopping: the step fails with that stop, nothing is recorded. */
  | { kind: "stopped"; outcome: AgentOutcome & { ok: false } };

/**
 * A review whose first line is not a STATUS line is not yet a verdict: ask the reviewer once more, in
 * the same session (`codex exec resume <thread_id>`, `claude --resume <id>`), for the verdict alone. A STATUS answer is put in
 * front of the review (so its verdict and its findings read as usual); anything else leaves the
 * review as it was (counted ISSUES_FOUND, with a warning) plus a warning saying why. The re-ask runs
 * through `run` (agent.started / agent.finished, its usage added) and writes
 * NNN-<agent>-verdict-prompt.md and NNN-<agent>-verdict-output.md.
 */
export async function settleVerdict(
  ctx: VerdictContext,
  n: number,
  review: { output: string; sessionId: string | null },
  run: (fn: (o: AgentOptions) => Promise<AgentOutcome>) => Promise<AgentOutcome>,
): Promise<VerdictStep> {
  if (parseVerdict(review.output).explicit) return { kind: "review", review: review.output };
  const { reviewer } = ctx.deps.agents;
  const who = agentLabel(reviewer.name);
  const warn = (why: string) =>
    ctx.send("task.warning", { message: `${who}'s review in iteration ${n} has no STATUS line; ${why}` }, n);
  const thread = review.sessionId;
  if (!thread) {
    const id = reviewer.name === "codex" ? "thread id" : "session id";
    warn(`it could not be asked again for its verdict (${reviewer.name} reported no ${id})`);
    return { kind: "review", review: review.output };
  }
  const { artifacts } = ctx.deps;
  await artifacts.write(ctx.taskId, verdictFile(n, reviewer.name, "prompt"), VERDICT_PROMPT);
  const outputName = verdictFile(n, reviewer.name, "output");
  const outcome = await run((o) =>
    reviewer.run({
      ...o,
      outputFile: artifacts.path(ctx.taskId, outputName),
      prompt: VERDICT_PROMPT,
      resumeSessionId: thread,
      maxBudgetUsd: claudeRemaining(ctx.task),
    }),
  );
  await artifacts.write(
    ctx.taskId,
    outputName,
    outcome.ok ? ensureNewline(outcome.output) : failureMarkdown(reviewer.name, outcome),
  );
  if (!outcome.ok) {
    if (ctx.signal.aborted) return { kind: "stopped", outcome };
    warn(`asking ${who} again for its verdict failed (${outcome.error})`);
    return { kind: "review", review: review.output };
  }
  const answer = parseVerdict(outcome.output);
  if (!answer.explicit) {
    const first = JSON.stringify(answer.firstLine.slice(0, 200));
    warn(`asked again for its verdict, ${who} gave none either (first line: ${first})`);
    return { kind: "review", review: review.output };
  }
  return { kind: "review", review: `STATUS: ${answer.status}\n\n${review.output}` };
}
