import { type AgentOutcome, parseVerdict, runCodex } from "../agents/index.ts";
import type { AgentOptions } from "./agent-step.ts";
import { ensureNewline, failureMarkdown } from "./reports.ts";
import type { RunContext } from "./run-context.ts";

export type VerdictContext = Pick<RunContext, "deps" | "taskId" | "signal" | "send">;

/** The cheap follow-up: the verdict alone, in the thread that wrote the review. */
export const VERDICT_PROMPT = [
  "Your review above does not start with a STATUS line.",
  "Reply with your verdict on that review only: exactly one line, `STATUS: DONE` if the work is",
  "complete and correct, or `STATUS: ISSUES_FOUND` if anything in your review still needs fixing.",
  "Do not review again, run no commands, write nothing else.",
].join("\n");

export const verdictFile = (n: number, kind: "prompt" | "output") =>
  `${String(n).padStart(3, "0")}-codex-verdict-${kind}.md`;

/** What the review of iteration n is, once the verdict has been asked for (if it had to be). */
export type VerdictStep =
  | { kind: "review"; review: string }
  /** The re-ask failed because the run is stopping: the step fails with that stop, nothing is recorded. */
  | { kind: "stopped"; outcome: AgentOutcome & { ok: false } };

/**
 * A review whose first line is not a STATUS line is not yet a verdict: ask Codex once more, in the
 * same thread (`codex exec resume <thread_id>`), for the verdict alone. A STATUS answer is put in
 * front of the review (so its verdict and its findings read as usual); anything else leaves the
 * review as it was (counted ISSUES_FOUND, with a warning) plus a warning saying why. The re-ask runs
 * through `run` (agent.started / agent.finished, its usage added) and writes
 * NNN-codex-verdict-prompt.md and NNN-codex-verdict-output.md.
 */
export async function settleVerdict(
  ctx: VerdictContext,
  n: number,
  review: { output: string; sessionId: string | null },
  run: (fn: (o: AgentOptions) => Promise<AgentOutcome>) => Promise<AgentOutcome>,
): Promise<VerdictStep> {
  if (parseVerdict(review.output).explicit) return { kind: "review", review: review.output };
  const warn = (why: string) =>
    ctx.send("task.warning", { message: `Codex's review in iteration ${n} has no STATUS line; ${why}` }, n);
  const thread = review.sessionId;
  if (!thread) {
    warn("it could not be asked again for its verdict (codex reported no thread id)");
    return { kind: "review", review: review.output };
  }
  const { settings, artifacts } = ctx.deps;
  await artifacts.write(ctx.taskId, verdictFile(n, "prompt"), VERDICT_PROMPT);
  const outputName = verdictFile(n, "output");
  const outcome = await run((o) =>
    runCodex({
      ...o,
      bin: settings.codexBin,
      extraArgs: settings.codexArgs,
      outputFile: artifacts.path(ctx.taskId, outputName),
      prompt: VERDICT_PROMPT,
      resume: thread,
    }),
  );
  await artifacts.write(
    ctx.taskId,
    outputName,
    outcome.ok ? ensureNewline(outcome.output) : failureMarkdown("codex", outcome),
  );
  if (!outcome.ok) {
    if (ctx.signal.aborted) return { kind: "stopped", outcome };
    warn(`asking Codex again for its verdict failed (${outcome.error})`);
    return { kind: "review", review: review.output };
  }
  const answer = parseVerdict(outcome.output);
  if (!answer.explicit) {
    const first = JSON.stringify(answer.firstLine.slice(0, 200));
    warn(`asked again for its verdict, Codex gave none either (first line: ${first})`);
    return { kind: "review", review: review.output };
  }
  return { kind: "review", review: `STATUS: ${answer.status}\n\n${review.output}` };
}
