import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("lining up tasks in the browser", () => {
  it("Pause queue is there with nothing queued; Queue and add another stays on the form, three times", async () => {
    const page = await signedInPage(e2e.browser, e2e.server, { width: 390, height: 844 });
    const pause = page.getByRole("button", { name: "Pause queue" });
    await pause.waitFor();
    await pause.click();
    await page.getByRole("button", { name: "Resume queue" }).waitFor();

    const titles = ["One", "Two", "Three"];
    for (const title of titles) {
      await page.getByLabel("Title", { exact: true }).fill(title);
      await page.getByLabel("Prompt", { exact: true }).fill(`Do ${title}`);
      await page
        .getByLabel("Working directory", { exact: true })
        .fill(
          e2e.server.workdir({ claude: [{ kind: "ok" }], codex: [{ kind: "review", text: "STATUS: DONE" }] }),
        );
      await page.getByRole("button", { name: "Queue and add another" }).click();
      // Still home, the form empty for the next one, the new task named with a link.
      await page
        .getByRole("status")
        .filter({ hasText: `Queued “${title}”` })
        .waitFor();
      expect(new URL(page.url()).pathname).toBe("/");
      expect(await page.getByLabel("Title", { exact: true }).inputValue()).toBe("");
    }
    const queue = page.getByRole("list", { name: "Queued tasks, next first" });
    await expect.poll(() => queue.getByRole("listitem").count()).toBe(3);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(
      0,
    );
    await page.screenshot({ path: screenshotPath("queue-three-390.png"), fullPage: true });
    const { body } = await e2e.server.api<{ tasks: Task[] }>("/api/queue");
    expect(body.tasks.map((t) => t.title)).toEqual(titles);
    await page.getByRole("button", { name: "Resume queue" }).click();
    await page.context().close();
  });
});
