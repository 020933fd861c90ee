import { describe, expect, it } from "vitest";
import { detectUsageLimit } from "../src/agents/usage-limit.ts";

const now = new Date("2026-11-25T10:00:00Z");

describe("detectUsageLimit: each form seen in the wild", () => {
  it("claude's older epoch form", () => {
    const l = detectUsageLimit("Claude AI usage limit reached|1795600000", now);
    expect(l?.resetsAt?.toISOString()).toBe(new Date(1795600000 * 1000).toISOString());
  });

  it("claude: 'Your limit will reset at 9am (America/Chicago)'", () => {
    const l = detectUsageLimit(
      "Claude usage limit reached. Your limit will reset at 9am (America/Chicago).",
      now,
    );
    // 10:00Z is 04:00 in Chicago (CST, UTC-6): the next 9am there is 15:00Z the same day.
    expect(l?.resetsAt?.toISOString()).toBe("2026-11-25T15:00:00.000Z");
  });

  it("claude: 'You've hit your limit · resets 1:30am (Asia/Dhaka)'", () => {
    const l = detectUsageLimit("You've hit your limit · resets 1:30am (Asia/Dhaka)", now);
    // 10:00Z is 16:00 in Dhaka (UTC+6): the next 1:30 there is 19:30Z the same day.
    expect(l?.resetsAt?.toISOString()).toBe("2026-11-25T19:30:00.000Z");
  });

  it("claude: session and weekly variants", () => {
    expect(
      detectUsageLimit("You've hit your session limit · resets 5:10pm (Europe/Paris)", now)?.resetsAt,
    ).toEqual(new Date("2026-11-25T16:10:00Z"));
    expect(
      detectUsageLimit("You've hit your weekly limit · resets 5:10pm (Europe/Paris)", now),
    ).not.toBeNull();
  });

  it("claude 2.1.332: 'You've hit your 5-hour limit · resets 9:41pm (UTC)'", () => {
    const l = detectUsageLimit("You've hit your 5-hour limit · resets 9:41pm (UTC)", now);
    expect(l?.resetsAt?.toISOString()).toBe("2026-11-25T21:41:00.000Z");
  });

  it("codex 0.171.0: 'You’ve hit your usage limit. … or try again at 10:43 PM.' (a typographic apostrophe)", () => {
    const l = detectUsageLimit(
      "You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 10:43 PM.",
      now,
    );
    const expected = new Date(now);
    expected.setHours(22, 43, 0, 0);
    expect(l?.resetsAt).toEqual(expected);
  });

  it("claude: the API's 429 rate_limit_error text, with no reset time (caller backs off)", () => {
    const l = detectUsageLimit(
      "This request would exceed your account's rate limit. Please try again later.",
      now,
    );
    expect(l).toEqual({ resetsAt: null, message: expect.stringContaining("rate limit") });
  });

  it("codex: 'try again in 3 hours 2 minutes' and 'in 4 days 20 hours 9 minutes'", () => {
    const a = detectUsageLimit(
      "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 3 hours 2 minutes.",
      now,
    );
    expect(a?.resetsAt?.toISOString()).toBe("2026-11-25T13:02:00.000Z");
    const b = detectUsageLimit("You've hit your usage limit. Try again in 4 days 20 hours 9 minutes.", now);
    expect(b?.resetsAt?.toISOString()).toBe("2026-11-30T06:09:00.000Z");
  });

  it("codex: 'try again at <date>'", () => {
    const l = detectUsageLimit("You've hit your usage limit. Try again at 2026-11-26T08:00:00Z.", now);
    expect(l?.resetsAt?.toISOString()).toBe("2026-11-26T08:00:00.000Z");
  });

  it("codex: 'Quota exceeded' without a time", () => {
    expect(detectUsageLimit("Quota exceeded. Check your plan and billing details.", now)).toEqual({
      resetsAt: null,
      message: "Quota exceeded. Check your plan and billing details.",
    });
  });

  it("codex: the server's JSON with resets_at or resets_in_seconds", () => {
    const at = detectUsageLimit('{"type":"usage_limit_reached","resets_at":1795600000}', now);
    expect(at?.resetsAt).toEqual(new Date(1795600000 * 1000));
    const inS = detectUsageLimit('{"type":"usage_limit_reached","resets_in_seconds":3600}', now);
    expect(inS?.resetsAt?.toISOString()).toBe("2026-11-25T11:00:00.000Z");
  });

  it("codex's 'try again later' (no time) is still a usage limit, with resetsAt null so the caller backs off", () => {
    expect(detectUsageLimit("You've hit your usage limit. Try again later.", now)).toEqual({
      resetsAt: null,
      message: "You've hit your usage limit. Try again later.",
    });
  });

  // codex formats the time itself, in local time: `%-I:%M %p` ("3:05 PM", same day) or
  // `%b %-d<st|nd|rd|th>, %Y %-I:%M %p` ("Jul 5th, 2026 8:19 PM"; openai/codex#26668).
  it("codex's own 'try again at' times: a clock time (today, or tomorrow once past) and a date with an ordinal day", () => {
    const localNow = new Date(2026, 5, 5, 10, 0); // 5 Jun 2026 10:00 local time
    expect(
      detectUsageLimit("You've hit your usage limit. Try again at 3:05 PM.", localNow)?.resetsAt,
    ).toEqual(new Date(2026, 5, 5, 15, 5));
    expect(
      detectUsageLimit(
        "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at Jul 5th, 2026 8:19 PM.",
        localNow,
      )?.resetsAt,
    ).toEqual(new Date(2026, 6, 5, 20, 19));
    // 9:30 AM has passed at 10:00: the next one is tomorrow's.
    expect(
      detectUsageLimit("You've hit your usage limit. Try again at 9:30 AM.", localNow)?.resetsAt,
    ).toEqual(new Date(2026, 5, 6, 9, 30));
    expect(
      detectUsageLimit("You've hit your usage limit. Try again at Sep 1st, 2026 10:37 PM.", localNow)
        ?.resetsAt,
    ).toEqual(new Date(2026, 8, 1, 22, 37));
  });

  it.each([
    "Not logged in · Please run /login",
    "API Error: 500 Internal server error",
    "unexpected status 500 Internal Server Error",
    "Reconnecting... 2/5 (stream disconnected before completion)",
    "",
  ])("%j is not a usage limit", (text) => {
    expect(detectUsageLimit(text, now)).toBeNull();
  });
});
