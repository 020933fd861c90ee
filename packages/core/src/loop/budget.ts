import { AppError, codexTokens, type Task } from "@loop/shared";

/**
 * A task's budgets (maxCostUsd: claude's total_cost_usd; maxCodexTokens: Codex input + output) as
 * pure functions of the task. Claude's is also enforced inside one run (--max-budget-usd with
 * what is left); both are checked before an iteration starts.
 */
export type Budget = "maxCostUsd" | "maxCodexTokens";
export type Budgets = Partial<Pick<Task, Budget>>;

/** A new task's input with its budgets: its own, else the server's defaults. */
export const budgetDefaults = <T extends Budgets>(
  input: T,
  defaults: { maxCostUsd: number | null; maxCodexTokens: number | null },
): T & { maxCostUsd: number | null; maxCodexTokens: number | null } => ({
  ...input,
  maxCostUsd: input.maxCostUsd ?? defaults.maxCostUsd,
  maxCodexTokens: input.maxCodexTokens ?? defaults.maxCodexTokens,
});

const usd = (x: number) => `$${x.toFixed(4)}`;

/** "Budget reached: $0.0787 spent of $0.03". */
export const costReason = (task: Pick<Task, "usage" | "maxCostUsd">): string =>
  task.maxCostUsd === null
    ? `Budget reached: claude stopped at its --max-budget-usd after ${usd(task.usage.claude.costUsd)} spent`
    : `Budget reached: ${usd(task.usage.claude.costUsd)} spent of $${task.maxCostUsd}`;

/** Why no further iteration may start, or null while both budgets have room. */
export function budgetStop(task: Pick<Task, "usage" | "maxCostUsd" | "maxCodexTokens">): string | null {
  if (task.maxCostUsd !== null && task.usage.claude.costUsd >= task.maxCostUsd) return costReason(task);
  const used = codexTokens(task.usage.codex);
  if (task.maxCodexTokens !== null && used >= task.maxCodexTokens)
    return `Codex token budget reached: ${used} tokens used of ${task.maxCodexTokens}`;
  return null;
}

/** What claude may still spend in its next run (--max-budget-usd), or undefined without a budget. */
export const claudeRemaining = (task: Pick<Task, "usage" | "maxCostUsd">): number | undefined =>
  task.maxCostUsd === null ? undefined : task.maxCostUsd - task.usage.claude.costUsd;

/** A task to resume with its budgets replaced by `caps`; refused (not_resumable) while one is spent. */
export function rebudget(task: Task, caps: Budgets): Task {
  const t = { ...task, ...caps };
  const spent = budgetStop(t);
  if (spent !== null)
    throw new AppError(
      "not_resumable",
      `Task ${t.id} cannot be resumed: ${spent}; raise its budget to go on`,
    );
  return t;
}
