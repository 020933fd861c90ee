import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

/** Where the live end (the bottom of the iterations) is relative to the viewport. */
const liveEnd = (page: Page) =>
  page.evaluate(() => {
    const r = document.querySelector("main.iterations")!.getBoundingClientRect();
    return { bottom: r.bottom, viewport: innerHeight, scrollY: Math.round(scrollY) };
  });

const inView = async (page: Page) => {
  const e = await liveEnd(page);
  return e.bottom > 0 && e.bottom <= e.viewport + 48;
};

const slow = (lines: number) => ({ kind: "slow", lines, intervalMs: 60 });
const threeIterations = {
  claude: [slow(25), slow(25), slow(400)],
  codex: [
    { kind: "review", text: "STATUS: ISSUES_FOUND\n- Handle the empty input." },
    { kind: "review", text: "STATUS: ISSUES_FOUND\n- Add a test for it." },
    { kind: "review", text: "STATUS: DONE\nGood." },
  ],
};

describe.each([
  { name: "desktop", size: { width: 1280, height: 800 } },
  { name: "390", size: { width: 390, height: 844 } },
])("follow mode on the task page ($name)", ({ name, size }) => {
  it("follows the live agent across iterations, stops when the person scrolls away, and offers Jump to live", async () => {
    const task = await e2e.server.fileTask(`Follow ${name}`, threeIterations, { maxIterations: 3 });
    const page = await signedInPage(e2e.browser, e2e.server, size);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: `Follow ${name}` }).waitFor();

    // Iteration 3's worker is live: the page grew past the screen and scrolled along with it.
    await page.locator("section[data-iteration='3'] .agent-claude .heartbeat").waitFor();
    await expect.poll(() => inView(page), { timeout: 10_000 }).toBe(true);
    expect((await liveEnd(page)).scrollY).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: "Jump to live" }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath(`follow-live-${name}.png`) });

    // The person scrolls up to read: the page stays where they put it while the log grows.
    await page.evaluate(() => window.scrollTo(0, 0));
    const jump = page.getByRole("button", { name: "Jump to live" });
    await jump.waitFor();
    const lines = page.locator("section[data-iteration='3'] .agent-claude .line-count");
    const before = await lines.textContent();
    await expect.poll(() => lines.textContent(), { timeout: 10_000 }).not.toBe(before);
    expect((await liveEnd(page)).scrollY).toBe(0);
    await page.screenshot({ path: screenshotPath(`follow-scrolled-away-${name}.png`) });

    // Jump to live brings the live end back, and following goes on.
    await jump.click();
    await expect.poll(() => inView(page)).toBe(true);
    await jump.waitFor({ state: "detached" });
    await e2e.server.api(`/api/tasks/${task.id}/cancel`, { method: "POST" });
    await e2e.server.waitForStatus(task.id, ["cancelled"]);
    await page.context().close();
  });
});
