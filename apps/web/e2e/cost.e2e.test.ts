import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("cost in the browser", () => {
  it("the spend summary starts at zero and says why there are no subscription windows", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    const spend = page.getByRole("region", { name: "Spend" });
    await spend.getByRole("table").waitFor();
    expect(await spend.getByRole("row", { name: /Claude/ }).innerText()).toMatch(
      /\$0\.00\s+\$0\.00\s+\$0\.00/,
    );
    expect(await spend.innerText()).toContain("no window data yet (API-key setup or no run since start)");
    await page.context().close();
  });

  it("budget fields go into the task as maxCostUsd and maxCodexTokens; a bad one is said at its field", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    const wd = e2e.server.workdir({
      claude: [{ kind: "ok", text: "did it" }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    await page.getByLabel("Title", { exact: true }).fill("With budgets");
    await page.getByLabel("Prompt", { exact: true }).fill("Do it cheaply");
    await page.getByLabel("Working directory", { exact: true }).fill(wd);
    const dollars = page.getByLabel("Claude budget ($)", { exact: true });
    const tokens = page.getByLabel("Codex budget (tokens)", { exact: true });
    await dollars.fill("-1");
    await page.getByRole("button", { name: "Start" }).click();
    await expect.poll(() => dollars.getAttribute("aria-invalid")).toBe("true");
    const errId = (await dollars.getAttribute("aria-describedby"))!.split(" ")[0]!;
    expect(await page.locator(`[id="${errId}"]`).innerText()).toMatch(/^Claude budget .*greater than 0/);

    await dollars.fill("$2.50");
    await tokens.fill("200,000");
    await page.screenshot({ path: screenshotPath("form-budgets.png") });
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/"));
    const id = page.url().split("/tasks/")[1]!;
    const { body } = await e2e.server.api<{ task: Task }>(`/api/tasks/${id}`);
    expect(body.task).toMatchObject({ maxCostUsd: 2.5, maxCodexTokens: 200_000 });
    await e2e.server.waitForStatus(id, ["done"]);

    // Home: what it spent, per agent, today, this week and overall.
    await page.goto(e2e.server.origin);
    const spend = page.getByRole("region", { name: "Spend" });
    const claudeRow = spend.getByRole("row", { name: /Claude/ });
    await expect.poll(() => claudeRow.innerText()).not.toMatch(/\$0\.00/);
    const [today, week, all] = (await claudeRow.locator("td").allInnerTexts()).map((s) => s.trim());
    expect(today).toMatch(/^\$\d/);
    expect(week).toBe(today);
    expect(all).toBe(today);
    expect(await spend.getByRole("row", { name: /Codex/ }).innerText()).toMatch(/\d+(\.\d)?k tokens/);
    await spend.screenshot({ path: screenshotPath("spend-summary.png") });
    await page.context().close();
  });
});
