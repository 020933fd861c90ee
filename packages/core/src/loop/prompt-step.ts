import type { AgentName, Finding, Iteration } from "@loop/shared";
import { clip } from "../agents/common.ts";
import { type AgentOutcome, agentLabel } from "../agents/index.ts";
import { iterationFile } from "../artifacts.ts";
import { renderOpenFindings } from "../findings/index.ts";
import {
  buildReviewerPrompt,
  buildWorkerPrompt,
  type CheckReport,
  type HistoryEntry,
} from "../prompts/index.ts";
import type { RunContext } from "./run-context.ts";

export type { HistoryEntry };

/**
 * What each agent is sent, written as NNN-<agent>-prompt.md and measured. Session continuity (opt-in
 * per task, `continueSession`): iteration N > 1 resumes the worker's own conversation and sends only
 * what is new; when the agent no longer has that conversation (its outcome says `sessionMissing`) the
 * same iteration starts over with the full-history prompt.
 */

/** The session to resume in iteration n: the one the newest earlier iteration's worker run ended in. */
export function lastSession(iterations: readonly Iteration[], n: number): string | null {
  return iterations.findLast((i) => i.n < n && i.claudeSessionId !== null)?.claudeSessionId ?? null;
}

/** Sends one worker prompt: the artifact NNN-<agent>-prompt.md is what was sent, its size is recorded. */
export type WorkerRun = (prompt: string, resumeSessionId: string | undefined) => Promise<AgentOutcome>;

/** The worker's run of iteration n, in the task's mode; falls back to the full prompt when the session is gone. */
export async function workerTurn(
  ctx: RunContext,
  n: number,
  worker: AgentName,
  past: readonly HistoryEntry[],
  ledger: readonly Finding[],
  run: WorkerRun,
): Promise<AgentOutcome> {
  const { repos, settings } = ctx.deps;
  const { task } = ctx;
  const findings = renderOpenFindings(ledger);
  const template = settings.claudePromptTemplate;
  const send = async (prompt: string, resume?: string) => {
    await record(ctx, n, worker, "worker", prompt);
    return run(prompt, resume);
  };
  if (!task.continueSession || past.length === 0)
    return send(buildWorkerPrompt(task, past, n, findings, { template }));

  const session = lastSession(repos.iterations.list(task.id), n);
  const who = agentLabel(worker);
  if (session) {
    const prompt = buildWorkerPrompt(task, past, n, findings, { mode: "session", template });
    const outcome = await send(prompt, session);
    if (outcome.ok || !outcome.sessionMissing) return outcome;
    ctx.send(
      "task.warning",
      {
        message: `${who}'s session ${session} could not be resumed: ${clip(outcome.error, 300)}; iteration ${n} starts a new session with the full-history prompt`,
      },
      n,
    );
  } else {
    ctx.send(
      "task.warning",
      { message: `No earlier ${who} session is recorded; iteration ${n} sends the full-history prompt` },
      n,
    );
  }
  return send(buildWorkerPrompt(task, past, n, findings, { template }));
}

/** The reviewer's prompt of iteration n (a fresh context either way), written and measured. */
export async function reviewerPrompt(
  ctx: RunContext,
  at: { n: number; workerOutput: string; check: CheckReport | null },
  reviewer: AgentName,
  past: readonly HistoryEntry[],
  ledger: readonly Finding[],
): Promise<string> {
  const { n, workerOutput, check } = at;
  const prompt = buildReviewerPrompt(ctx.task, past, n, workerOutput, {
    check,
    mode: ctx.task.continueSession ? "session" : "full",
    template: ctx.deps.settings.codexPromptTemplate,
    openFindings: renderOpenFindings(ledger),
  });
  await record(ctx, n, reviewer, "reviewer", prompt);
  return prompt;
}

/** The prompt's artifact and its size (claudePromptBytes holds the worker's, codexPromptBytes the reviewer's). */
async function record(
  ctx: RunContext,
  n: number,
  agent: AgentName,
  role: "worker" | "reviewer",
  prompt: string,
) {
  await ctx.deps.artifacts.write(ctx.task.id, iterationFile(n, agent, "prompt"), prompt);
  const bytes = Buffer.byteLength(prompt, "utf8");
  await ctx.updateIteration(
    n,
    role === "worker" ? { claudePromptBytes: bytes } : { codexPromptBytes: bytes },
  );
}
