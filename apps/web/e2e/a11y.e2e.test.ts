import type { Task } from "@loop/shared";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "./axe.ts";
import { e2eSuite, screenshotPath } from "./harness.ts";

const e2e = e2eSuite();
const serious = (page: Page) => seriousViolations(page);

let done: Task;
let running: Task;

describe.each(["light", "dark"] as const)("axe-core, %s", (scheme) => {
  beforeAll(async () => {
    if (done) return;
    done = await e2e.server.fileTask("Reviewed twice", {
      claude: [{ kind: "ok", text: "fixed", write: { path: "a.txt", content: "a\n" } }],
      codex: [
        { kind: "review", text: "STATUS: ISSUES_FOUND\n- Handle the empty input." },
        { kind: "review", text: "STATUS: DONE" },
      ],
    });
    await e2e.server.waitForStatus(done.id, ["done"]);
    running = await e2e.server.fileTask("Still running", {
      claude: [{ kind: "slow", lines: 2000, intervalMs: 100 }],
    });
    await e2e.server.waitForStatus(running.id, ["running"]);
  }, 60_000);

  for (const size of [
    { name: "desktop", width: 1280, height: 800 },
    { name: "390", width: 390, height: 844 },
  ]) {
    it(`home, a finished and a running task page have no serious violations (${size.name})`, async () => {
      const context = await e2e.browser.newContext({
        viewport: { width: size.width, height: size.height },
        colorScheme: scheme,
      });
      const page = await context.newPage();
      await page.goto(e2e.server.url);
      await page.getByRole("heading", { name: "New task" }).waitFor();
      await page.getByText("Reviewed twice").first().waitFor();
      const found: Record<string, string[]> = { home: await serious(page) };
      for (const [name, t] of [
        ["done", done],
        ["running", running],
      ] as const) {
        await page.goto(`${e2e.server.origin}/tasks/${t.id}`);
        await page.locator(".iteration").first().waitFor();
        found[name] = await serious(page);
        await page.screenshot({ path: screenshotPath(`a11y-${name}-${scheme}-${size.name}.png`) });
      }
      expect(found).toEqual({ home: [], done: [], running: [] });
      await context.close();
    });
  }
});
