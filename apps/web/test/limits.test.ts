import type { SubscriptionWindow } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { currentWindows, describeWindow, windowLevel } from "../src/features/health/limits.ts";

const now = new Date(2026, 11, 1, 12, 0);
const w = (o: Partial<SubscriptionWindow> = {}): SubscriptionWindow => ({
  agent: "claude",
  window: "five_hour",
  status: "allowed_warning",
  utilization: 82,
  resetsAt: new Date(2026, 11, 1, 14, 5).toISOString(),
  overage: null,
  updatedAt: now.toISOString(),
  ...o,
});

describe("subscription windows in the top bar", () => {
  it("names the agent, the window, its use and its reset in local time", () => {
    expect(describeWindow(w(), now)).toBe("Claude 5-hour window 82 %, resets 14:05");
    expect(describeWindow(w({ status: "rejected", utilization: 100 }), now)).toBe(
      "Claude 5-hour window used up, resets 14:05",
    );
    const later = new Date(2026, 11, 3, 9, 30).toISOString();
    expect(
      describeWindow(w({ window: "seven_day", utilization: null, status: "allowed", resetsAt: later }), now),
    ).toMatch(/^Claude 7-day window allowed, resets .*3.*, 09:30$/);
  });
  it("hides windows whose reset has passed and flags the full ones", () => {
    const past = w({ resetsAt: new Date(2026, 11, 1, 11, 0).toISOString() });
    expect(currentWindows([past, w()], now)).toEqual([w()]);
    expect(windowLevel(w({ status: "allowed", utilization: 40 }))).toBe("ok");
    expect(windowLevel(w())).toBe("warning");
    expect(windowLevel(w({ status: "rejected" }))).toBe("error");
  });
});
