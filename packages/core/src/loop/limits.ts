import type { Repositories } from "@loop/db";
import { type AgentName, type SubscriptionWindow, type Task, windowLabel } from "@loop/shared";
import { type RateLimitInfo, toSubscriptionWindow } from "../agents/index.ts";
import { budgetStop } from "./budget.ts";
import type { Phase } from "./transitions.ts";

/** Stores the latest state of each window an agent reported in a run (kept across restarts). */
export function recordRateLimits(
  repos: Repositories,
  agent: AgentName,
  infos: readonly RateLimitInfo[] | undefined,
  now = new Date(),
): void {
  for (const info of infos ?? []) repos.limits.record(toSubscriptionWindow(agent, info, now));
}

const agentLabel = (a: AgentName) => (a === "claude" ? "Claude" : "Codex");

/** "Claude 5-hour window 82 %, resets 14:05 UTC" (the dashboard shows the same, in local time). */
export const describeWindow = (w: SubscriptionWindow): string =>
  [
    `${agentLabel(w.agent)} ${windowLabel(w.window)} window`,
    w.utilization === null ? w.status : `${w.utilization} %`,
    w.resetsAt ? `, resets ${w.resetsAt}` : "",
  ].join(" ");

/**
 * LOOP_PAUSE_AT_UTILIZATION: the windows at or above the threshold whose reset is still ahead; a
 * new iteration waits for the latest of their resets. A window without a reset time cannot be
 * waited out and is ignored (claude names one in every rate_limit_event seen so far).
 */
export function utilizationHold(
  windows: readonly SubscriptionWindow[],
  threshold: number | null,
  now: Date,
): { agent: AgentName; until: Date; reason: string } | null {
  if (threshold === null) return null;
  const full = windows.filter(
    (w) =>
      w.utilization !== null &&
      w.utilization >= threshold &&
      w.resetsAt !== null &&
      new Date(w.resetsAt).getTime() > now.getTime(),
  );
  if (full.length === 0) return null;
  const last = full.reduce((a, b) => (new Date(b.resetsAt!) > new Date(a.resetsAt!) ? b : a));
  const until = new Date(last.resetsAt!);
  return {
    agent: last.agent,
    until,
    reason: `${full.map((w) => `${agentLabel(w.agent)} ${windowLabel(w.window)} window at ${w.utilization} %`).join(", ")} (LOOP_PAUSE_AT_UTILIZATION=${threshold}); waiting for its reset at ${until.toISOString()}`,
  };
}

/**
 * Before iteration n starts: a spent budget ends the task (needs_attention); a window at the
 * utilization threshold pauses it until that window resets, then iteration n starts. Null: go on.
 */
export function iterationGate(g: {
  task: Pick<Task, "usage" | "maxCostUsd" | "maxCodexTokens">;
  n: number;
  windows: readonly SubscriptionWindow[];
  settings: { pauseAtUtilization: number | null };
  now?: Date;
}): Phase | null {
  const stop = budgetStop(g.task);
  if (stop !== null) return { kind: "finished", status: "needs_attention", reason: stop };
  const hold = utilizationHold(g.windows, g.settings.pauseAtUtilization, g.now ?? new Date());
  if (hold === null) return null;
  return {
    kind: "paused",
    agent: hold.agent,
    until: hold.until,
    reason: `Iteration ${g.n} waits: ${hold.reason}`,
    resume: { kind: "work", n: g.n },
  };
}
