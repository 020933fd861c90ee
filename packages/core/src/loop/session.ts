import type { Finding, Iteration } from "@loop/shared";
import { clip } from "../agents/common.ts";
import type { AgentOutcome } from "../agents/index.ts";
import { iterationFile } from "../artifacts.ts";
import { renderOpenFindings } from "../findings/index.ts";
import { buildClaudePrompt, buildCodexPrompt, type HistoryEntry } from "../prompts/index.ts";
import type { RunContext } from "./run-context.ts";

export type { HistoryEntry };

/**
 * Session continuity (opt-in per task, `continueSession`): iteration N > 1 resumes Claude's own
 * conversation (`claude --resume <session_id>`) and sends only what is new; when claude no longer
 * has that conversation the same iteration starts over with the full-history prompt.
 */

/** What claude 2.1.332 says for a --resume id it has no conversation for (fixtures/real/claude-2.1.332-resume-unknown.jsonl). */
const SESSION_MISSING = /No conversation found with session ID/i;

export const isSessionMissing = (o: AgentOutcome): boolean =>
  !o.ok && o.errorKind !== "usage_limit" && SESSION_MISSING.test(o.error);

/** The session to resume in iteration n: the one the newest earlier iteration's Claude run ended in. */
export function lastSession(iterations: readonly Iteration[], n: number): string | null {
  return iterations.findLast((i) => i.n < n && i.claudeSessionId !== null)?.claudeSessionId ?? null;
}

/** Sends one Claude prompt: the artifact NNN-claude-prompt.md is what was sent, its size is recorded. */
export type ClaudeRun = (prompt: string, resumeSessionId: string | undefined) => Promise<AgentOutcome>;

/** Claude's run of iteration n, in the task's mode; falls back to the full prompt when the session is gone. */
export async function claudeTurn(
  ctx: RunContext,
  n: number,
  past: readonly HistoryEntry[],
  ledger: readonly Finding[],
  run: ClaudeRun,
): Promise<AgentOutcome> {
  const { repos, settings } = ctx.deps;
  const { task } = ctx;
  const findings = renderOpenFindings(ledger);
  const template = settings.claudePromptTemplate;
  const send = async (prompt: string, resume?: string) => {
    await record(ctx, n, "claude", prompt);
    return run(prompt, resume);
  };
  if (!task.continueSession || past.length === 0)
    return send(buildClaudePrompt(task, past, n, findings, { template }));

  const session = lastSession(repos.iterations.list(task.id), n);
  if (session) {
    const prompt = buildClaudePrompt(task, past, n, findings, { mode: "session", template });
    const outcome = await send(prompt, session);
    if (!isSessionMissing(outcome)) return outcome;
    const why = outcome.ok ? "" : `: ${clip(outcome.error, 300)}`;
    ctx.send(
      "task.warning",
      {
        message: `Claude's session ${session} could not be resumed${why}; iteration ${n} starts a new session with the full-history prompt`,
      },
      n,
    );
  } else {
    ctx.send(
      "task.warning",
      { message: `No earlier Claude session is recorded; iteration ${n} sends the full-history prompt` },
      n,
    );
  }
  return send(buildClaudePrompt(task, past, n, findings, { template }));
}

/** Codex's review prompt of iteration n (a fresh context either way), written and measured. */
export async function codexPrompt(
  ctx: RunContext,
  n: number,
  past: readonly HistoryEntry[],
  ledger: readonly Finding[],
  claudeOutput: string,
): Promise<string> {
  const prompt = buildCodexPrompt(ctx.task, past, n, claudeOutput, {
    mode: ctx.task.continueSession ? "session" : "full",
    template: ctx.deps.settings.codexPromptTemplate,
    openFindings: renderOpenFindings(ledger),
  });
  await record(ctx, n, "codex", prompt);
  return prompt;
}

async function record(ctx: RunContext, n: number, agent: "claude" | "codex", prompt: string) {
  const { repos, artifacts } = ctx.deps;
  await artifacts.write(ctx.task.id, iterationFile(n, agent, "prompt"), prompt);
  const bytes = Buffer.byteLength(prompt, "utf8");
  await ctx.write(() =>
    repos.iterations.update(
      ctx.task.id,
      n,
      agent === "claude" ? { claudePromptBytes: bytes } : { codexPromptBytes: bytes },
    ),
  );
}
