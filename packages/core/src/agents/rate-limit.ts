import type { AgentName, SubscriptionWindow } from "@loop/shared";

/** A subscription window's state, from `rate_limit_event` lines or an API error's `rate_limit_info`. */
export interface RateLimitInfo {
  status: string;
  /** Unix seconds. */
  resetsAt: number | null;
  rateLimitType: string | null;
  /** Percent used, when claude says. */
  utilization: number | null;
  /** The overage fields claude sent (isUsingOverage, overageStatus, overageResetsAt, …), or null. */
  overage: Record<string, unknown> | null;
}

/**
 * `rate_limit_info` of a rate_limit_event. 2.1.332 puts the window's own status and its utilization
 * (a 0–1 fraction) under `unifiedWindows.<type>`, next to a top-level status that stays "allowed"
 * while the window warns; older builds had `utilization` (0–100) at the top. Every field optional.
 */
export function readRateLimit(info: unknown): RateLimitInfo {
  const i = (info && typeof info === "object" ? info : {}) as Record<string, unknown>;
  const type = typeof i.rateLimitType === "string" ? i.rateLimitType : null;
  const windows = (
    i.unifiedWindows && typeof i.unifiedWindows === "object" ? i.unifiedWindows : {}
  ) as Record<string, Record<string, unknown> | undefined>;
  const w = type ? windows[type] : undefined;
  const status =
    typeof w?.status === "string" && i.status !== "rejected" ? w.status : String(i.status ?? "unknown");
  let utilization: number | null = null;
  if (typeof w?.utilization === "number") utilization = Math.round(w.utilization * 1000) / 10;
  else if (typeof i.utilization === "number") utilization = i.utilization;
  const resetsAt =
    typeof i.resetsAt === "number" ? i.resetsAt : typeof w?.resetsAt === "number" ? w.resetsAt : null;
  const overageEntries = Object.entries(i).filter(([k]) => /overage/i.test(k));
  const overage = overageEntries.length > 0 ? Object.fromEntries(overageEntries) : null;
  return { status, resetsAt, rateLimitType: type, utilization, overage };
}

const WINDOW_NAMES: Record<string, string> = {
  five_hour: "5-hour window",
  seven_day: "weekly window",
  seven_day_opus: "weekly Opus window",
  seven_day_sonnet: "weekly Sonnet window",
};
const WINDOW_STATES: Record<string, string> = {
  allowed: "within the limit",
  allowed_warning: "close to the limit",
  rejected: "limit reached",
};

/** "5-hour window: close to the limit · 92% used · resets 2026-12-01 21:41 UTC". */
export function describeRateLimit(r: RateLimitInfo): string {
  const name = r.rateLimitType ? (WINDOW_NAMES[r.rateLimitType] ?? r.rateLimitType.replace(/_/g, " ")) : null;
  const state = WINDOW_STATES[r.status] ?? r.status.replace(/_/g, " ");
  const resets = r.resetsAt === null ? null : new Date(r.resetsAt * 1000).toISOString();
  return [
    `${name ?? "subscription"}: ${state}`,
    r.utilization === null ? null : `${r.utilization}% used`,
    resets === null ? null : `resets ${resets.slice(0, 10)} ${resets.slice(11, 16)} UTC`,
  ]
    .filter(Boolean)
    .join(" · ");
}

/** The stored form (shared's SubscriptionWindow) of what an agent reported. */
export function toSubscriptionWindow(
  agent: AgentName,
  r: RateLimitInfo,
  now = new Date(),
): SubscriptionWindow {
  return {
    agent,
    window: r.rateLimitType ?? "unknown",
    status: r.status,
    utilization: r.utilization,
    resetsAt: r.resetsAt === null ? null : new Date(r.resetsAt * 1000).toISOString(),
    overage: r.overage,
    updatedAt: now.toISOString(),
  };
}
