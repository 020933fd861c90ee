import type { Task } from "@loop/shared";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite({ LOOP_MAX_PARALLEL: "2" });
const PHONE = { width: 390, height: 844 };
const SLOW = {
  claude: [{ kind: "slow", lines: 4000, intervalMs: 50 }],
  codex: [{ kind: "review", text: "STATUS: DONE" }],
};

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

const t: Record<string, Task> = {};

describe("LOOP_MAX_PARALLEL=2 on the dashboard", () => {
  beforeAll(async () => {
    const s = e2e.server;
    t.alpha = await s.fileTask("Alpha runs", SLOW);
    t.bravo = await s.fileTask("Bravo runs", SLOW);
    await s.waitForStatus(t.alpha.id, ["running"]);
    await s.waitForStatus(t.bravo.id, ["running"]);
    const file = async (body: object) => {
      const r = await s.api<{ task: Task }>("/api/tasks", { method: "POST", body: { prompt: "p", ...body } });
      expect(r.status).toBe(201);
      return r.body.task;
    };
    // In Alpha's directory: it waits for Alpha. After it: a chain.
    t.same = await file({ title: "Same directory", workingDir: t.alpha.workingDir });
    t.chained = await file({ title: "Chained", workingDir: s.workdir(SLOW), after: t.same.id });
  }, 60_000);

  afterAll(async () => {
    for (const x of [t.chained, t.same, t.alpha, t.bravo]) {
      if (x) await e2e.server.api(`/api/tasks/${x.id}/cancel`, { method: "POST" });
    }
  });

  for (const [name, size] of [
    ["desktop", { width: 1280, height: 900 }],
    ["390 px", PHONE],
  ] as const) {
    it(`${name}: both running tasks with their live logs, and why each queued task waits`, async () => {
      const page = await signedInPage(e2e.browser, e2e.server, size);
      await page.getByRole("heading", { name: "Running 2 of 2" }).waitFor();
      for (const x of [t.alpha!, t.bravo!]) {
        const card = page.getByRole("article", { name: `Running: ${x.title}` });
        const log = card.getByRole("log");
        // Lines keep arriving in each card's own log.
        await log
          .getByText(/slow line \d+/)
          .first()
          .waitFor({ timeout: 20_000 });
        const last = () =>
          log
            .getByText(/slow line \d+/)
            .last()
            .innerText();
        const first = await last();
        await expect.poll(last, { timeout: 15_000 }).not.toBe(first);
      }
      const queue = page.getByRole("list", { name: "Queued tasks, next first" });
      await queue.getByText(`waits: same directory as ${t.alpha!.id} (“Alpha runs”)`).waitFor();
      await queue.getByText(`waits for ${t.same!.id} to finish`).waitFor();
      await queue.getByRole("link", { name: t.same!.id }).waitFor();
      if (size.width === 390) {
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        // Stacked: the second card sits below the first.
        const [a, b] = await Promise.all(
          [t.alpha!, t.bravo!].map((x) =>
            page.getByRole("article", { name: `Running: ${x.title}` }).boundingBox(),
          ),
        );
        expect(Math.abs(a!.x - b!.x)).toBeLessThan(2);
      } else {
        const [a, b] = await Promise.all(
          [t.alpha!, t.bravo!].map((x) =>
            page.getByRole("article", { name: `Running: ${x.title}` }).boundingBox(),
          ),
        );
        // Side by side: one row, two columns.
        expect(Math.abs(a!.y - b!.y)).toBeLessThan(2);
        expect(a!.x).not.toBe(b!.x);
      }
      await page.screenshot({ path: screenshotPath(`parallel-${size.width}.png`), fullPage: true });
      await page.context().close();
    }, 90_000);
  }
});
