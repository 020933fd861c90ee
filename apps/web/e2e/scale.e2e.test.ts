import type { LoopEvent } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

const claudeLines = (events: LoopEvent[]) =>
  events.filter((e) => e.type === "agent.output" && e.data.agent === "claude").length;

describe("a 100 000-line log", () => {
  it("keeps only a few hundred rows in the DOM, follows the tail, and searches all of it", async () => {
    const task = await e2e.server.fileTask(
      "Flood",
      {
        claude: [{ kind: "flood", lines: 100_000 }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      },
      { maxIterations: 1 },
    );
    await e2e.server.waitForStatus(task.id, ["done"], 120_000);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const log = page.getByRole("log", { name: "Claude output, iteration 1" });
    await log.waitFor();
    await log.getByText("line 100000").waitFor({ timeout: 60_000 });
    const rows = await page.locator(".log-line").count();
    console.log(`e2e figure: DOM rows with a 100 000-line log open: ${rows}`);
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(300);
    const count = page.locator("section[data-iteration='1'] .agent-claude .line-count");
    // Claude's result line may come in the replay's next piece, drawn after "line 100000".
    await expect.poll(() => count.textContent(), { timeout: 60_000 }).toBe("100,002 lines");

    const search = page.getByRole("searchbox", { name: "Search Claude output, iteration 1" });
    await search.fill("line 4242");
    await search.press("Enter");
    // "line 4242" is in lines 4242 and 42420–42429: 11 matches, the first one scrolled into view.
    await page.getByText("1 of 11").waitFor();
    await log.getByText("line 4242", { exact: false }).first().waitFor();
    expect(await page.locator(".log-line").count()).toBeLessThan(300);
    await page.screenshot({ path: screenshotPath("log-100k.png") });
    await page.context().close();
  }, 180_000);
});

describe("reconnecting", () => {
  it("shows 'Reconnecting…' while the server is away and then has every line once", async () => {
    const task = await e2e.server.fileTask(
      "Survives a restart",
      {
        claude: [{ kind: "slow", lines: 400, intervalMs: 30 }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      },
      { maxIterations: 1 },
    );
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("log", { name: "Claude output, iteration 1" }).waitFor();
    // Mid-run: some lines are on the page, more are coming.
    await page.waitForFunction(
      (sel) => Number.parseInt(document.querySelector(sel)?.textContent?.replace(/,/g, "") ?? "0", 10) >= 20,
      "section[data-iteration='1'] .agent-claude .line-count",
    );

    await e2e.server.restart(async () => {
      await page.getByRole("status").filter({ hasText: "Reconnecting…" }).waitFor();
    });
    // The server stopped mid-run: the task is paused (resumable) and the page catches up with it.
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("paused", { exact: true }).waitFor({ timeout: 60_000 });
    await header.getByText(/interrupted by a server stop during iteration 1 \(claude\)/).waitFor();
    await page.getByRole("status").filter({ hasText: "Reconnecting…" }).waitFor({ state: "detached" });
    // Resume continues the same task: Claude's unfinished run of iteration 1 runs again.
    await page.getByRole("button", { name: "Resume", exact: true }).click();
    await header.getByText("done", { exact: true }).waitFor({ timeout: 60_000 });

    const stored = await e2e.server.eventsUntilFinished(task.id);
    const count = page.locator("section[data-iteration='1'] .agent-claude .line-count");
    await page.waitForFunction(
      ([sel, want]) => document.querySelector(sel as string)?.textContent === want,
      ["section[data-iteration='1'] .agent-claude .line-count", `${claudeLines(stored)} lines`],
    );
    expect(await count.textContent()).toBe(`${claudeLines(stored)} lines`);
    const slow = stored.filter(
      (e) => e.type === "agent.output" && e.data.agent === "claude" && e.data.line.includes("slow line"),
    ).length;
    const search = page.getByRole("searchbox", { name: "Search Claude output, iteration 1" });
    await search.fill("slow line");
    await page.getByText(`${slow} matches`).waitFor();
    await page.context().close();
  }, 120_000);
});

describe("layout and theme", () => {
  it("fits a narrow window without horizontal scrolling, and follows the system's dark theme", async () => {
    const task = await e2e.server.fileTask(
      "Narrow",
      {
        claude: [{ kind: "ok", text: "done" }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      },
      { maxIterations: 1 },
    );
    await e2e.server.waitForStatus(task.id, ["done"]);
    const page = await signedInPage(e2e.browser, e2e.server, { width: 390, height: 844 });
    for (const path of ["/", `/tasks/${task.id}`]) {
      await page.goto(e2e.server.origin + path);
      await page
        .getByRole("heading", { level: path === "/" ? 2 : 1 })
        .first()
        .waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
    }
    await page.screenshot({ path: screenshotPath("task-page-narrow.png"), fullPage: true });

    const luminance = () =>
      page.evaluate(() => {
        const m = getComputedStyle(document.body).backgroundColor.match(/\d+/g)!.map(Number);
        return (0.2126 * m[0]! + 0.7152 * m[1]! + 0.0722 * m[2]!) / 255;
      });
    await page.emulateMedia({ colorScheme: "light" });
    expect(await luminance()).toBeGreaterThan(0.8);
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await luminance()).toBeLessThan(0.2);
    await page.screenshot({ path: screenshotPath("task-page-dark.png"), fullPage: true });
    await page.context().close();
  });
});
