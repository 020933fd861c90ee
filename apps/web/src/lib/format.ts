import type { AgentName, ClaudeUsage, CodexUsage, Task, TaskStatus, Usage } from "@loop/shared";

export const AGENT_LABEL: Record<AgentName, string> = { claude: "Claude", codex: "Codex" };

export const STATUS_LABEL: Record<TaskStatus, string> = {
  queued: "queued",
  running: "running",
  paused: "paused",
  done: "done",
  needs_attention: "needs attention",
  failed: "failed",
  cancelled: "cancelled",
};

/** "850 ms", "12.3 s", "4m 05s", "2h 03m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const totalS = Math.floor(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(s).padStart(2, "0")}s`;
}

/** Run time of a task: start to finish, or start to now while it runs; null before it started. */
export function elapsedMs(task: Pick<Task, "startedAt" | "finishedAt">, now: number): number | null {
  if (!task.startedAt) return null;
  const start = Date.parse(task.startedAt);
  const end = task.finishedAt ? Date.parse(task.finishedAt) : now;
  return Math.max(0, end - start);
}

/** "just now", "5 min ago", "3 h ago", then a date. */
export function formatRelative(iso: string, now: number): string {
  const t = Date.parse(iso);
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** 950 → "950", 12 345 → "12.3k", 2 500 000 → "2.5M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${trim1(n / 1000)}k`;
  return `${trim1(n / 1_000_000)}M`;
}
const trim1 = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1).replace(/\.0$/, ""));

/** Dollars with enough digits to see small runs: $0.0042, $0.12, $12.50. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "cost unknown";
  if (usd === 0) return "$0.00";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/** Claude's side in one line: "$0.12 · 12k in · 4.5k out · 3 turns" (input counts the cache reads and writes). */
export function formatClaudeUsage(c: ClaudeUsage): string {
  const input = c.inputTokens + c.cacheReadTokens + c.cacheWriteTokens;
  if (input + c.outputTokens === 0 && c.costUsd === 0 && c.turns === 0) return "no usage reported yet";
  return [
    formatCost(c.costUsd),
    `${formatTokens(input)} in`,
    `${formatTokens(c.outputTokens)} out`,
    plural(c.turns, "turn"),
  ].join(" · ");
}

/** Codex's side in one line: "12k in (8k cached) · 4.5k out · 2k reasoning" (codex reports no cost). */
export function formatCodexUsage(x: CodexUsage): string {
  if (x.inputTokens + x.outputTokens === 0) return "no usage reported yet";
  const parts = [
    `${formatTokens(x.inputTokens)} in${x.cachedInputTokens ? ` (${formatTokens(x.cachedInputTokens)} cached)` : ""}`,
    `${formatTokens(x.outputTokens)} out`,
  ];
  if (x.reasoningTokens) parts.push(`${formatTokens(x.reasoningTokens)} reasoning`);
  return parts.join(" · ");
}

/** Both, apart (the agents run on different subscriptions): "Claude $0.12 · … | Codex 12k in · …". */
export const formatUsage = (u: Usage): string =>
  `Claude ${formatClaudeUsage(u.claude)} | Codex ${formatCodexUsage(u.codex)}`;

/** Claude's breakdown for a tooltip. */
export const claudeDetail = (c: ClaudeUsage): string =>
  `input ${c.inputTokens}, cache read ${c.cacheReadTokens}, cache write ${c.cacheWriteTokens}, output ${c.outputTokens}, turns ${c.turns}, API time ${formatDuration(c.apiMs)}, cost $${c.costUsd}`;

/** Codex's breakdown for a tooltip. */
export const codexDetail = (x: CodexUsage): string =>
  `input ${x.inputTokens} (cached ${x.cachedInputTokens}, cache write ${x.cacheWriteTokens}), output ${x.outputTokens} (reasoning ${x.reasoningTokens})`;

/** "$0.0123 of $0.50" / "12k of 100k tokens": what a budget has used; null without a budget. */
export function formatBudget(task: Pick<Task, "usage" | "maxCostUsd" | "maxCodexTokens">): string | null {
  const parts: string[] = [];
  if (task.maxCostUsd !== null)
    parts.push(`Claude ${formatCost(task.usage.claude.costUsd)} of ${formatCost(task.maxCostUsd)}`);
  if (task.maxCodexTokens !== null) {
    const used = task.usage.codex.inputTokens + task.usage.codex.outputTokens;
    parts.push(`Codex ${formatTokens(used)} of ${formatTokens(task.maxCodexTokens)} tokens`);
  }
  return parts.length ? parts.join(" · ") : null;
}

/** "2/10" while running, "—/10" before the first iteration. */
export function formatIterations(task: Pick<Task, "currentIteration" | "maxIterations">): string {
  return `${task.currentIteration > 0 ? task.currentIteration : "—"}/${task.maxIterations}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim1(n / 1024)} KB`;
  return `${trim1(n / 1024 / 1024)} MB`;
}

/** The page title with the count of unseen finished tasks in front, like a mail client. */
export const pageTitle = (unseen: number, base = "loop"): string =>
  unseen > 0 ? `(${unseen}) ${base}` : base;
