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

const fmtCost = (u: Usage) => (u.costUsd === null ? "n/a" : `$${u.costUsd.toFixed(4)}`);
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
      `| ${i.n} | ${i.status} | ${i.verdict ?? "–"} | ${fmtSec(i.claudeDurationMs)} | ${fmtSec(i.codexDurationMs)} | ${i.usage.inputTokens} / ${i.usage.outputTokens} | ${fmtCost(i.usage)} | ${i.claudePromptBytes ?? "–"} / ${i.codexPromptBytes ?? "–"} |`,
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
    `- Tokens (in / out): ${task.usage.inputTokens} / ${task.usage.outputTokens}; cost: ${fmtCost(task.usage)}`,
    `- Prompts: ${promptBytes} bytes sent (${task.continueSession ? "session mode: Claude continued its conversation" : "full history each time"})`,
    `- Changes: ${extras.changes === null ? "not recorded" : `${extras.changes} (whole task: changes.md; each iteration: NNN-changes.md)`}`,
    "",
    "| Iteration | Status | Verdict | Claude | Codex | Tokens in / out | Cost | Prompt bytes (Claude / Codex) |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    renderLedgerMarkdown(extras.ledger),
    "",
  ].join("\n");
}

export const ensureNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);
