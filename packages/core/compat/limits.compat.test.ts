import type { EventOf, LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { compatSuite } from "./harness.ts";

const nowSec = () => Math.floor(Date.now() / 1000);
const of = <T extends LoopEvent["type"]>(events: LoopEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

/** The headers Anthropic's API sends a subscription (claude.ai login) about its 5-hour window. */
const fiveHour = (
  status: "allowed" | "allowed_warning" | "rejected",
  resetsAt: number,
  utilization: number,
) => ({
  "anthropic-ratelimit-unified-status": status,
  "anthropic-ratelimit-unified-reset": String(resetsAt),
  "anthropic-ratelimit-unified-representative-claim": "five_hour",
  "anthropic-ratelimit-unified-5h-status": status,
  "anthropic-ratelimit-unified-5h-reset": String(resetsAt),
  "anthropic-ratelimit-unified-5h-utilization": String(utilization),
});

describe("subscription limits with the real CLIs", () => {
  // claude logged in to a subscription (an OAuth token): it then reads the rate-limit headers.
  const suite = compatSuite({ claudeAuth: "subscription" });

  it("shows claude's rate_limit_event and warns when the window is nearly used up", async () => {
    const { loop } = suite;
    const ask = "Anything [rate-limit-event]";
    const reset = nowSec() + 3 * 3600;
    loop.model.script({
      claude: [
        { match: ask, replies: [{ text: "Done.", headers: fiveHour("allowed_warning", reset, 0.92) }] },
      ],
      codex: [{ match: ask, replies: [{ text: "STATUS: DONE" }] }],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const events = await loop.events(task.id);
    expect(events.at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });

    const outputs = of(events, "agent.output");
    expect(
      outputs.filter((e) => e.data.stream === "stdout" && !e.data.parsed).map((e) => e.data.line),
    ).toEqual([]);
    const line = outputs.find((e) => e.data.line.includes('"type":"rate_limit_event"'))!;
    expect(JSON.parse(line.data.line).rate_limit_info).toMatchObject({
      resetsAt: reset,
      rateLimitType: "five_hour",
      unifiedWindows: { five_hour: { status: "allowed_warning", utilization: 0.92, resetsAt: reset } },
    });
    const iso = new Date(reset * 1000).toISOString();
    const when = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
    expect(line.data.parsed).toEqual({
      kind: "rate_limit",
      text: `5-hour window: close to the limit · 92% used · resets ${when}`,
    });
    expect(of(events, "task.warning").map((e) => e.data.message)).toContain(
      `claude's 5-hour window: close to the limit · 92% used · resets ${when}`,
    );
  });

  it("pauses until claude's usage limit resets (429 rejected), then can be cancelled", async () => {
    const { loop } = suite;
    const ask = "Anything [claude-usage-limit]";
    const reset = nowSec() + 3600;
    loop.model.script({
      claude: [
        {
          match: ask,
          replies: [
            {
              error: {
                status: 429,
                message: "This request would exceed your account's rate limit. Please try again later.",
              },
              headers: fiveHour("rejected", reset, 1),
            },
          ],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const paused = (await loop.events(task.id, (e) => e.type === "task.paused")).at(
      -1,
    ) as EventOf<"task.paused">;
    // loop resumes 30 s after the announced reset.
    expect(Date.parse(paused.data.resumeAt)).toBe((reset + 30) * 1000);
    expect(paused.data.reason).toMatch(
      /claude hit its usage limit \(claude exited with code 1: You've hit your 5-hour limit · resets/,
    );
    // A usage limit is not retried by claude: one request.
    expect(loop.model.calls("claude")).toHaveLength(1);
    const { task: t } = await loop.waitForTask(task.id, (x) => x.status === "paused");
    expect(t.statusReason).toBe(paused.data.reason);
    expect((await loop.api(`/api/tasks/${task.id}/cancel`, { method: "POST" })).status).toBe(200);
    await loop.waitForTask(task.id, (x) => x.status === "cancelled");
  });

  it("pauses until codex's usage limit resets (429 usage_limit_reached)", async () => {
    const { loop } = suite;
    const ask = "Anything [codex-usage-limit]";
    const reset = nowSec() + 2 * 3600 + 5 * 60;
    loop.model.script({
      claude: [{ match: ask, replies: [{ text: "Done." }] }],
      codex: [
        {
          match: ask,
          replies: [
            {
              error: {
                status: 429,
                body: {
                  error: {
                    type: "usage_limit_reached",
                    message: "The usage limit has been reached",
                    plan_type: "plus",
                    resets_at: reset,
                    resets_in_seconds: reset - nowSec(),
                  },
                },
              },
            },
          ],
        },
      ],
    });
    const task = await loop.createTask({ prompt: ask, workingDir: loop.workdir() });
    const paused = (await loop.events(task.id, (e) => e.type === "task.paused")).at(
      -1,
    ) as EventOf<"task.paused">;
    // codex words it "… or try again at 10:20 PM." (local time, minutes), or with the date when the
    // reset is on another day ("… at Dec 2nd, 2026 12:09 AM."): loop reads both back to the minute.
    expect(paused.data.reason).toMatch(
      /codex exited with code 1: You’ve hit your usage limit\. .* try again at ([A-Z][a-z]{2} \d{1,2}(st|nd|rd|th), \d{4} )?\d{1,2}:\d{2} [AP]M\./,
    );
    const resumeAt = Date.parse(paused.data.resumeAt);
    expect(Math.abs(resumeAt - (reset + 30) * 1000)).toBeLessThan(60_000);
    expect(loop.model.calls("codex")).toHaveLength(1);
    expect((await loop.api(`/api/tasks/${task.id}/cancel`, { method: "POST" })).status).toBe(200);
    await loop.waitForTask(task.id, (x) => x.status === "cancelled");
  });
});
