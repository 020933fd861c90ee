import { z } from "zod";
import { Usage } from "./task.ts";

/**
 * GET /api/usage: what all tasks spent, per agent (claude's dollars as it reports them, codex's
 * tokens), over three spans. An iteration counts wholly in the span it started in.
 */
export const SpendResponse = z.object({
  /** Since the server's local midnight. */
  today: Usage,
  /** The last 7 × 24 hours. */
  week: Usage,
  all: Usage,
  /** Where `today` and `week` begin (ISO-8601). */
  todayFrom: z.string(),
  weekFrom: z.string(),
});
export type SpendResponse = z.infer<typeof SpendResponse>;

/** The start of the spans of a SpendResponse at `now`: local midnight and 7 days back. */
export function spendSpans(now: Date): { todayFrom: string; weekFrom: string } {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  return {
    todayFrom: midnight.toISOString(),
    weekFrom: new Date(now.getTime() - 7 * 24 * 3600 * 1000).toISOString(),
  };
}
