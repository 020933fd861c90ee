import { type SubscriptionWindow, windowLabel } from "@loop/shared";

const AGENT = { claude: "Claude", codex: "Codex" } as const;

/** "14:05" today, "Dec 3, 14:05" on another day, in the viewer's time zone. */
function resetTime(iso: string, now: Date): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  if (at.toDateString() === now.toDateString()) return time;
  return `${at.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
}

/** "Claude 5-hour window 82 %, resets 14:05"; a used-up window says so. */
export function describeWindow(w: SubscriptionWindow, now = new Date()): string {
  const used =
    w.status === "rejected"
      ? "used up"
      : w.utilization === null
        ? w.status.replaceAll("_", " ")
        : `${w.utilization} %`;
  const reset = w.resetsAt ? `, resets ${resetTime(w.resetsAt, now)}` : "";
  return `${AGENT[w.agent]} ${windowLabel(w.window)} window ${used}${reset}`;
}

/** The windows worth showing: those whose reset is still ahead (a passed reset means a fresh window). */
export const currentWindows = (
  windows: readonly SubscriptionWindow[],
  now = new Date(),
): SubscriptionWindow[] =>
  windows.filter((w) => w.resetsAt === null || Date.parse(w.resetsAt) > now.getTime());

/** warning at 80 % or an allowed_warning status, error when used up. */
export const windowLevel = (w: SubscriptionWindow): "ok" | "warning" | "error" =>
  w.status === "rejected"
    ? "error"
    : w.status === "allowed_warning" || (w.utilization ?? 0) >= 80
      ? "warning"
      : "ok";
