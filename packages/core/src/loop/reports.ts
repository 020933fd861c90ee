import type { AgentName, Finding, Iteration, Task, Usage } from "@loop/shared";
import type { AgentOutcome } from "../agents/index.ts";
import { renderLedgerMarkdown } from "../findings/index.ts";

/** `NNN-<agent>-output.md` of a run that did not finish. */
export function failureMarkdown(agent: AgentName, outcome: AgentOutcome & { ok: false }): string {
  return [
    `# ${agent} did not finish`,
    "",
    `- Reason: ${outcome.errorKind}`,
    `- Exit code: ${outcome.exitCode ?? "none"}`,
    `- Duration: ${(outcome.durationMs / 1000).toFixed(1)} s`,
    "",
    "```text",
    outcome.error,
    "```",
    "",
  ].join("\n");
}

const fmtCost = (u: Usage) => `$${u.claude.costUsd.toFixed(4)}`;
const claudeTokens = (u: Usage) =>
  `${u.claude.inputTokens} / ${u.claude.outputTokens} / ${u.claude.cacheReadTokens} / ${u.claude.cacheWriteTokens}`;
const codexTokens = (u: Usage) =>
  `${u.codex.inputTokens} / ${u.codex.cachedInputTokens} / ${u.codex.outputTokens} / ${u.codex.reasoningTokens}`;
/** loop's check of an iteration: "passed 1.2 s", "**FAILED** (exit 1) 3.4 s", "–" without one. */
const fmtCheck = (c: Iteration["check"]) =>
  !c
    ? "–"
    : c.ok
      ? `passed ${fmtSec(c.durationMs)}`
      : `**FAILED** (${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "–"}`}) ${fmtSec(c.durationMs)}`;
const fmtSec = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`);

export interface ResultExtras {
  /** The whole task's change in one line (changes.md has it all), or null when nothing was recorded. */
  changes: string | null;
  ledger: readonly Finding[];
}

/** `result.md`: written when a task ends (and again if a resumed run ends). */
export function resultMarkdown(
  task: Task,
  iterations: readonly Iteration[],
  extras: ResultExtras = { changes: null, ledger: [] },
): string {
  const rows = iterations.map(
    (i) =>
      `| ${i.n} | ${i.status} | ${i.verdict ?? "–"} | ${fmtCheck(i.check)} | ${fmtSec(i.claudeDurationMs)} | ${fmtSec(i.codexDurationMs)} | ${fmtCost(i.usage)} | ${claudeTokens(i.usage)} | ${i.usage.claude.turns} | ${codexTokens(i.usage)} | ${i.claudePromptBytes ?? "–"} / ${i.codexPromptBytes ?? "–"} |`,
  );
  const promptBytes = iterations.reduce(
    (s, i) => s + (i.claudePromptBytes ?? 0) + (i.codexPromptBytes ?? 0),
    0,
  );
  return [
    `# Result: ${task.title}`,
    "",
    `- Status: **${task.status}**`,
    `- Reason: ${task.statusReason ?? ""}`,
    `- Iterations: ${iterations.length} of at most ${task.maxIterations}`,
    `- Started: ${task.startedAt ?? "never"}`,
    `- Finished: ${task.finishedAt ?? ""}`,
    `- Claude: cost ${fmtCost(task.usage)}${task.maxCostUsd === null ? "" : ` of a $${task.maxCostUsd} budget`}; tokens in / out / cache read / cache write: ${claudeTokens(task.usage)}; ${task.usage.claude.turns} turns; API time ${(task.usage.claude.apiMs / 1000).toFixed(1)} s`,
    `- Codex: tokens in / cached in / out / reasoning: ${codexTokens(task.usage)}${task.maxCodexTokens === null ? "" : ` (budget ${task.maxCodexTokens} tokens in + out)`}`,
    `- Prompts: ${promptBytes} bytes sent (${task.continueSession ? "session mode: Claude continued its conversation" : "full history each time"})`,
    `- Changes: ${extras.changes === null ? "not recorded" : `${extras.changes} (whole task: changes.md; each iteration: NNN-changes.md)`}`,
    "",
    "| Iteration | Status | Verdict | Check | Claude | Codex | Claude cost | Claude tokens in / out / cache read / cache write | Claude turns | Codex tokens in / cached / out / reasoning | Prompt bytes (Claude / Codex) |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    renderLedgerMarkdown(extras.ledger),
    "",
  ].join("\n");
}

export const ensureNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);
