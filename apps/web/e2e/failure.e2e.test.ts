import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("a failed task", () => {
  it("shows its status and reason in the list and on its page, and Retry files it again", async () => {
    const task = await e2e.server.fileTask("Needs a login", {
      claude: [{ kind: "is_error", text: "Not logged in · Please run /login" }],
    });
    await e2e.server.waitForStatus(task.id, ["failed"]);

    const page = await signedInPage(e2e.browser, e2e.server);
    const row = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Needs a login" }) });
    await row.getByText("failed", { exact: true }).waitFor();
    expect(await row.innerText()).toContain("Not logged in · Please run /login");

    await page.getByRole("link", { name: "Needs a login" }).click();
    await page.getByRole("heading", { level: 1, name: "Needs a login" }).waitFor();
    expect(page.url()).toBe(`${e2e.server.origin}/tasks/${task.id}`);
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    expect(await header.innerText()).toMatch(/failed[\s\S]*Not logged in · Please run \/login/);
    // Claude's failed run is open by default, with its error next to it.
    await page.getByRole("log", { name: "Claude output, iteration 1" }).waitFor();
    await page.screenshot({ path: screenshotPath("failed-task.png"), fullPage: true });

    await page.getByRole("button", { name: "Retry" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/") && !u.pathname.endsWith(task.id));
    await page.getByRole("heading", { level: 1, name: "Needs a login" }).waitFor();
    const retried = page.url().split("/tasks/")[1]!;
    const r = await e2e.server.api<{ task: Task }>(`/api/tasks/${retried}`);
    expect(r.body.task.retryOf).toBe(task.id);
    await page.getByRole("link", { name: task.id }).waitFor();
    await page.context().close();
  });

  it("Delete asks first, then removes the task and goes back to the list", async () => {
    const task = await e2e.server.fileTask("Throwaway", {
      claude: [{ kind: "exit", code: 2, stderr: "error: unknown option '--bogus'" }],
    });
    await e2e.server.waitForStatus(task.id, ["failed"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Throwaway" }).waitFor();
    // Dismissing the confirmation keeps it.
    page.once("dialog", (d) => void d.dismiss());
    await page.getByRole("button", { name: "Delete" }).click();
    expect((await e2e.server.api(`/api/tasks/${task.id}`)).status).toBe(200);
    page.once("dialog", (d) => {
      expect(d.message()).toContain("Throwaway");
      void d.accept();
    });
    await page.getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(`${e2e.server.origin}/`);
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    // Loaded (the heading shows while the list still loads): the other tasks, or none.
    await page
      .getByRole("list", { name: "Tasks, newest first" })
      .or(page.getByText("No tasks yet."))
      .waitFor();
    expect(await page.getByRole("link", { name: "Throwaway" }).count()).toBe(0);
    expect((await e2e.server.api(`/api/tasks/${task.id}`)).status).toBe(404);
    await page.context().close();
  });
});
