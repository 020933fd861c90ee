import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

// Roles in the dashboard: the form chooses who works and who reviews, the task page says so.
const e2e = e2eSuite();

const select = (page: Page, label: "Worker" | "Reviewer") => page.getByLabel(label, { exact: true });

describe("roles in the dashboard", () => {
  it("files a swapped task from the form (codex works, claude reviews); it ends done and the page shows the roles", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    // The server's defaults (GET /api/health), claude works and codex reviews, until changed.
    await expect.poll(() => select(page, "Worker").inputValue(), { timeout: 15_000 }).toBe("claude");
    expect(await select(page, "Reviewer").inputValue()).toBe("codex");
    expect(await page.locator(".new-task").innerText()).toContain(
      "What Claude should do. Codex reviews each iteration until it answers STATUS: DONE.",
    );

    // The same agent in both parts: said at the Reviewer field, and nothing is sent.
    await select(page, "Worker").selectOption("codex");
    await expect.poll(() => select(page, "Reviewer").getAttribute("aria-invalid")).toBe("true");
    const errId = (await select(page, "Reviewer").getAttribute("aria-describedby"))?.split(" ")[0];
    expect(await page.locator(`[id="${errId}"]`).innerText()).toBe(
      "Reviewer must be a different agent from the worker",
    );
    const wd = e2e.server.workdir({
      codex: [{ kind: "review", text: "Wrote hello.txt.", write: { path: "hello.txt", content: "hi\n" } }],
      claude: [{ kind: "ok", text: "STATUS: DONE\nhello.txt is there." }],
    });
    await page.getByLabel("Title", { exact: true }).fill("Swapped roles");
    await page.getByLabel("Prompt", { exact: true }).fill("Create hello.txt");
    await page.getByLabel("Working directory", { exact: true }).fill(wd);
    await page.getByRole("button", { name: "Start" }).click();
    expect(page.url()).toBe(`${e2e.server.origin}/`);
    expect((await e2e.server.api<{ tasks: unknown[] }>("/api/tasks")).body.tasks).toHaveLength(0);

    await select(page, "Reviewer").selectOption("claude");
    expect(await select(page, "Reviewer").getAttribute("aria-invalid")).toBeNull();
    expect(await page.locator(".new-task").innerText()).toContain(
      "What Codex should do. Claude reviews each iteration",
    );
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL(/\/tasks\//);
    const id = decodeURIComponent(page.url().split("/tasks/")[1]!);
    const task = await e2e.server.waitForStatus(id, ["done", "needs_attention", "failed", "cancelled"]);
    expect(task).toMatchObject({ status: "done", worker: "codex", reviewer: "claude" });
    // codex worked with --sandbox workspace-write, so the fake let its write through.
    expect(readFileSync(join(wd, "hello.txt"), "utf8")).toBe("hi\n");

    await page.locator(".reason", { hasText: "Claude reported STATUS: DONE in iteration 1" }).waitFor();
    expect(await page.locator(".facts .roles").innerText()).toBe("Codex works · Claude reviews");
    // The worker's panel first, then the reviewer's, each labelled with its part.
    const panels = page.locator("section[data-iteration='1'] .agent");
    await expect.poll(() => panels.count()).toBe(2);
    expect(await panels.nth(0).getAttribute("class")).toContain("agent-codex");
    expect(await panels.nth(0).locator(".agent-head button").innerText()).toMatch(/Codex\s+works/);
    expect(await panels.nth(1).getAttribute("class")).toContain("agent-claude");
    expect(await panels.nth(1).locator(".agent-head button").innerText()).toMatch(/Claude\s+reviews/);
    await page
      .getByRole("log", { name: "Claude output, iteration 1" })
      .getByText("hello.txt is there.")
      .first()
      .waitFor();
    await page.screenshot({ path: screenshotPath("roles-task-page.png"), fullPage: true });
    await page.context().close();
  });

  it("a phone-sized form and task page with the roles do not scroll sideways", async () => {
    const task = await e2e.server.api<{ task: { id: string } }>("/api/tasks", {
      method: "POST",
      body: {
        title: "Narrow",
        prompt: "p",
        workingDir: e2e.server.workdir({
          claude: [
            { kind: "ok", text: "STATUS: ISSUES_FOUND\n- Handle the empty input." },
            { kind: "ok", text: "STATUS: DONE" },
          ],
        }),
        worker: "codex",
        reviewer: "claude",
      },
    });
    expect(task.status).toBe(201);
    const page = await signedInPage(e2e.browser, e2e.server, { width: 390, height: 844 });
    await select(page, "Reviewer").waitFor();
    await select(page, "Reviewer").selectOption("codex");
    await select(page, "Worker").selectOption("codex");
    await expect.poll(() => select(page, "Reviewer").getAttribute("aria-invalid")).toBe("true");
    const wide = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await wide()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath("roles-form-390.png") });
    const box = (await select(page, "Reviewer").boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);

    await e2e.server.waitForStatus(task.body.task.id, ["done"]);
    await page.goto(`${e2e.server.origin}/tasks/${task.body.task.id}`);
    await page.locator(".facts .roles", { hasText: "Codex works · Claude reviews" }).waitFor();
    await page
      .locator("section[data-iteration='1'] .agent-claude .agent-role", { hasText: "reviews" })
      .waitFor();
    // What the reviewer found is quoted under its verdict, in its name.
    const found = page
      .locator("section[data-iteration='1']")
      .getByRole("list", { name: "What Claude found" });
    await expect
      .poll(() => found.getByRole("listitem").allInnerTexts())
      .toEqual(["F1 Handle the empty input."]);
    expect(await wide()).toBeLessThanOrEqual(0);
    await page.context().close();
  });
});
