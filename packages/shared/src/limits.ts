import { z } from "zod";

/**
 * The latest state of one subscription window of one agent, as the agent last reported it
 * (claude: `rate_limit_event` lines; codex: see docs/real-cli-check.md). Kept per agent and window.
 */
export const SubscriptionWindow = z.object({
  agent: z.enum(["claude", "codex"]),
  /** claude's rateLimitType ("five_hour", "seven_day", …). */
  window: z.string(),
  /** "allowed", "allowed_warning" or "rejected" (claude's words). */
  status: z.string(),
  /** Percent of the window used (0–100), when the agent says. */
  utilization: z.number().nullable(),
  /** When the window resets (ISO time), when the agent says. */
  resetsAt: z.string().nullable(),
  /** claude's overage fields, when present (isUsingOverage, overageStatus, …). */
  overage: z.record(z.string(), z.unknown()).nullable(),
  /** When loop last heard of it. */
  updatedAt: z.string(),
});
export type SubscriptionWindow = z.infer<typeof SubscriptionWindow>;

/** GET /api/limits. */
export const LimitsResponse = z.object({
  windows: z.array(SubscriptionWindow),
  /** LOOP_PAUSE_AT_UTILIZATION: a new iteration waits while any window is at or above it (null = off). */
  pauseAtUtilization: z.number().nullable(),
});
export type LimitsResponse = z.infer<typeof LimitsResponse>;

const WINDOW_NAMES: Record<string, string> = {
  five_hour: "5-hour",
  seven_day: "7-day",
  seven_day_opus: "7-day Opus",
  seven_day_sonnet: "7-day Sonnet",
};

/** "five_hour" → "5-hour"; unknown names stay as they are (underscores as spaces). */
export const windowLabel = (w: string): string => WINDOW_NAMES[w] ?? w.replaceAll("_", " ");
