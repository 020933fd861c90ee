import type { Task } from "@loop/shared";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();
const PHONE = { width: 390, height: 844 };

const LONG_FINDING =
  "The parser drops the last record when the input has no trailing newline, so src/parse/records.ts:142 returns 9 of 10 rows; add a test with an input that ends without one and fix the loop bound";

/** How far the page is wider than the viewport (0 = no horizontal scroll). */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The elements that stick out past the right edge, for a readable failure. */
const culprits = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`),
  );

const tasks: Record<string, Task> = {};

describe("at 390 px", () => {
  beforeAll(async () => {
    const s = e2e.server;
    // One task in every state, filed in an order that leaves each where it should be. Paused: a
    // run interrupted by a server stop (a usage-limit wait would hold the only worker).
    tasks.paused = await s.fileTask("Paused by a server stop", {
      claude: [{ kind: "slow", lines: 2000, intervalMs: 50 }],
    });
    await s.waitForStatus(tasks.paused.id, ["running"]);
    await s.restart();
    await s.waitForStatus(tasks.paused.id, ["paused"]);
    tasks.done = await s.fileTask("Done in two iterations", {
      claude: [{ kind: "ok", text: "fixed" }],
      codex: [
        { kind: "review", text: `STATUS: ISSUES_FOUND\n- ${LONG_FINDING}` },
        { kind: "review", text: "STATUS: DONE" },
      ],
    });
    await s.waitForStatus(tasks.done.id, ["done"]);
    tasks.needs_attention = await s.fileTask(
      "Needs attention with a long finding",
      {
        claude: [{ kind: "ok", text: "tried" }],
        codex: [{ kind: "review", text: `STATUS: ISSUES_FOUND\n- ${LONG_FINDING}\n- a second finding` }],
      },
      { maxIterations: 1 },
    );
    await s.waitForStatus(tasks.needs_attention.id, ["needs_attention"]);
    tasks.failed = await s.fileTask("Failed: claude exits 1", {
      claude: [{ kind: "exit", code: 1, stderr: "boom: a-very-long-unbroken-error-token-".repeat(4) }],
    });
    await s.waitForStatus(tasks.failed.id, ["failed"]);
    tasks.running = await s.fileTask("Running: claude hangs", {
      claude: [{ kind: "slow", lines: 2000, intervalMs: 100 }],
    });
    await s.waitForStatus(tasks.running.id, ["running"]);
    tasks.queued = await s.fileTask("Queued behind it", { claude: [{ kind: "ok" }] });
    tasks.cancelled = await s.fileTask("Cancelled while queued", { claude: [{ kind: "ok" }] });
    await s.api(`/api/tasks/${tasks.cancelled.id}/cancel`, { method: "POST" });
    await s.waitForStatus(tasks.cancelled.id, ["cancelled"]);
  }, 90_000);

  it("no page scrolls sideways: home, a task in each state, a missing task", async () => {
    const page = await signedInPage(e2e.browser, e2e.server, PHONE);
    const pages: [string, string][] = [
      ["home", "/"],
      ...Object.entries(tasks).map(([state, t]): [string, string] => [state, `/tasks/${t.id}`]),
      ["not-found", "/tasks/no-such-task"],
    ];
    const wide: string[] = [];
    for (const [name, path] of pages) {
      await page.goto(`${e2e.server.origin}${path}`);
      await page.locator("#content h1, #content h2").first().waitFor();
      // The log and the findings are what grow wide: wait for them where there are some.
      // (The iterations come with the task; the logs and errors in them with the replayed events, later.)
      if (name !== "home" && name !== "not-found" && name !== "queued" && name !== "cancelled")
        await page.getByRole("log").first().waitFor();
      if (name === "failed") await page.locator(".agent-error").first().waitFor();
      await page.screenshot({ path: screenshotPath(`phone-${name}.png`), fullPage: true });
      const px = await overflow(page);
      if (px > 0) wide.push(`${name}: ${px} px too wide (${(await culprits(page)).join(", ")})`);
    }
    expect(wide).toEqual([]);
    await page.context().close();
  }, 90_000);

  it("the findings table reads as rows of text, not a word per line", async () => {
    const page = await signedInPage(e2e.browser, e2e.server, PHONE);
    await page.goto(`${e2e.server.origin}/tasks/${tasks.needs_attention!.id}`);
    const finding = page.locator(".findings-text").filter({ hasText: "The parser drops" });
    await finding.waitFor();
    const box = (await finding.boundingBox())!;
    // At least half the screen wide: a line holds several words.
    expect(box.width).toBeGreaterThan(PHONE.width / 2);
    await page.locator("section.findings").screenshot({ path: screenshotPath("phone-findings.png") });
    expect(await overflow(page)).toBe(0);
    await page.context().close();
  }, 90_000);
});
