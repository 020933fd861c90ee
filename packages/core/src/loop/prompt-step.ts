import type { NoteRole } from "@loop/db";
import type { AgentName, Iteration } from "@loop/shared";
import { clip } from "../agents/common.ts";
import { type AgentOutcome, agentLabel } from "../agents/index.ts";
import { iterationFile } from "../artifacts.ts";
import { renderOpenFindings, renderReviewerFindings } from "../findings/index.ts";
import {
  buildReviewerPrompt,
  buildWorkerPrompt,
  type CheckReport,
  type HistoryEntry,
  renderNotes,
} from "../prompts/index.ts";
import type { RunContext } from "./run-context.ts";

export type { HistoryEntry };

/**
 * What each agent is sent, written as NNN-<agent>-prompt.md and measured. Session continuity (opt-in
 * per task, `continueSession`): iteration N > 1 resumes the worker's own conversation and sends only
 * what is new; when the agent no longer has that conversation (its outcome says `sessionMissing`) the
 * same iteration starts over with the full-history prompt.
 *
 * The findings come from the stored ledger (the user may have dismissed one since the last review),
 * and each prompt carries the user's notes that role has not been given yet (notes in the db package).
 */

/** The user's notes the role's prompt of iteration n carries, rendered, and a function marking them given. */
function pendingNotes(ctx: RunContext, role: NoteRole, n: number) {
  const { notes } = ctx.deps.repos;
  const due = notes.pending(ctx.taskId, role, n);
  return {
    text: renderNotes(due, role),
    given: () =>
      due.length === 0
        ? undefined
        : ctx.write(() =>
            notes.delivered(
              ctx.taskId,
              role,
              n,
              due.map((d) => d.id),
            ),
          ),
  };
}

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
  run: WorkerRun,
): Promise<AgentOutcome> {
  const { repos, settings } = ctx.deps;
  const { task } = ctx;
  const findings = renderOpenFindings(repos.findings.list(task.id));
  const notes = pendingNotes(ctx, "worker", n);
  const template = settings.claudePromptTemplate;
  const send = async (prompt: string, resume?: string) => {
    await record(ctx, n, worker, "worker", prompt);
    await notes.given();
    return run(prompt, resume);
  };
  if (!task.continueSession || past.length === 0)
    return send(buildWorkerPrompt(task, past, n, findings, { template, notes: notes.text }));

  const session = lastSession(repos.iterations.list(task.id), n);
  const who = agentLabel(worker);
  if (session) {
    const prompt = buildWorkerPrompt(task, past, n, findings, {
      mode: "session",
      template,
      notes: notes.text,
    });
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
  return send(buildWorkerPrompt(task, past, n, findings, { template, notes: notes.text }));
}

/** The reviewer's prompt of iteration n (a fresh context either way), written and measured. */
export async function reviewerPrompt(
  ctx: RunContext,
  at: { n: number; workerOutput: string; check: CheckReport | null },
  reviewer: AgentName,
  past: readonly HistoryEntry[],
): Promise<string> {
  const { n, workerOutput, check } = at;
  const notes = pendingNotes(ctx, "reviewer", n);
  const prompt = buildReviewerPrompt(ctx.task, past, n, workerOutput, {
    check,
    mode: ctx.task.continueSession ? "session" : "full",
    template: ctx.deps.settings.codexPromptTemplate,
    openFindings: renderReviewerFindings(ctx.deps.repos.findings.list(ctx.taskId)),
    notes: notes.text,
  });
  await record(ctx, n, reviewer, "reviewer", prompt);
  await notes.given();
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
