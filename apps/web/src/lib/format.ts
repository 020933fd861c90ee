import type { Task, TaskStatus, Usage } from "@loop/shared";

export const STATUS_LABEL: Record<TaskStatus, string> = {
  queued: "queued",
  running: "running",
  paused: "paused",
  done: "done",
  needs_attention: "needs attention",
  failed: "failed",
  cancelled: "cancelled",
};

// Kept here rather than imported as a value: @loop/shared's values pull zod into the bundle.
const TERMINAL: ReadonlySet<TaskStatus> = new Set(["done", "needs_attention", "failed", "cancelled"]);
export const isTerminalStatus = (s: TaskStatus): boolean => TERMINAL.has(s);
export const isActiveStatus = (s: TaskStatus): boolean => s === "running" || s === "paused";
export const canCancel = (s: TaskStatus): boolean => !TERMINAL.has(s);

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

export const totalTokens = (u: Usage): number =>
  u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;

/** One line on what a run cost: "$0.12 · 12.3k in · 4.5k out". Empty usage says so. */
export function formatUsage(u: Usage | null | undefined): string {
  if (!u || (totalTokens(u) === 0 && u.costUsd === null)) return "no usage reported yet";
  const parts = [
    formatCost(u.costUsd),
    `${formatTokens(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens)} in`,
  ];
  parts.push(`${formatTokens(u.outputTokens)} out`);
  if (u.reasoningTokens) parts.push(`${formatTokens(u.reasoningTokens)} reasoning`);
  return parts.join(" · ");
}

/** A usage breakdown for a tooltip. */
export function usageDetail(u: Usage): string {
  return [
    `input ${u.inputTokens}`,
    `cache read ${u.cacheReadTokens}`,
    `cache write ${u.cacheWriteTokens}`,
    `output ${u.outputTokens}`,
    `reasoning ${u.reasoningTokens}`,
    `cost ${u.costUsd === null ? "unknown" : `$${u.costUsd}`}`,
  ].join(", ");
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
