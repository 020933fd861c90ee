import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

/** Everything on the page that says an agent is at work right now. */
const busySigns = (page: Page) =>
  page.evaluate(() => ({
    heartbeats: [...document.querySelectorAll(".heartbeat")].map((e) => e.textContent),
    running: [...document.querySelectorAll(".agent-state, .iteration-state")]
      .map((e) => e.textContent ?? "")
      .filter((t) => /running|in progress/.test(t)),
  }));

describe.each([
  { how: "a crash (SIGKILL)", signal: "SIGKILL" as const },
  { how: "a stop (SIGTERM)", signal: "SIGTERM" as const },
])("the task page across a server restart after $how", ({ how, signal }) => {
  it("shows no running agent or heartbeat beside the paused status once reconnected", async () => {
    const task = await e2e.server.fileTask(`Restart ${signal}`, {
      claude: [{ kind: "slow", lines: 400, intervalMs: 50 }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("running", { exact: true }).waitFor();
    await page.locator(".agent-claude .heartbeat").waitFor();
    expect((await busySigns(page)).running.length).toBeGreaterThan(0);

    await e2e.server.restart(undefined, signal);
    // Reconnected: the page learns the task is paused (interrupted).
    await header.getByText("paused", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(() => header.textContent()).toMatch(/interrupted/i);
    await page.getByText("connected", { exact: true }).waitFor({ timeout: 20_000 });
    expect(await busySigns(page), how).toEqual({ heartbeats: [], running: [] });
    expect(await page.locator(".agent-claude .agent-state").textContent()).toBe("interrupted");
    await page.screenshot({ path: screenshotPath(`restart-${signal}.png`) });
    await page.context().close();
  });
});
