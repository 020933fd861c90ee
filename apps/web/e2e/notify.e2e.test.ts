import type { Task } from "@loop/shared";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoopServer, launchBrowser, signedInPage, startServer } from "./harness.ts";

let server: LoopServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function fileTask(title: string, prompt: string): Promise<Task> {
  const r = await server.api<{ task: Task }>("/api/tasks", {
    method: "POST",
    body: {
      title,
      prompt,
      workingDir: server.workdir({
        claude: [{ kind: "ok", text: "done" }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      }),
      maxIterations: 2,
    },
  });
  expect(r.status).toBe(201);
  return r.body.task;
}

describe("the page title", () => {
  it("counts tasks that ended while you looked elsewhere, and clears when you open them", async () => {
    const page = await signedInPage(browser, server);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    expect(await page.title()).toBe("loop");
    await fileTask("Background job", "p");
    await page.waitForFunction(() => document.title === "(1) loop");
    await page.getByRole("link", { name: "Background job" }).click();
    await page.getByRole("heading", { level: 1, name: "Background job" }).waitFor();
    await page.waitForFunction(() => document.title === "loop");
    await page.context().close();
  });
});

describe("artifacts", () => {
  it("render Markdown but never run HTML from a prompt or an agent", async () => {
    const task = await fileTask(
      "Hostile prompt",
      '## Steps\n\n- one\n\n<img src="x" onerror="window.__xss = 1">\n<script>window.__xss = 2</script>',
    );
    await server.waitForStatus(task.id, ["done"]);
    const page = await signedInPage(browser, server);
    await page.goto(`${server.origin}/tasks/${task.id}`);
    await page.getByRole("list", { name: "Artifact files" }).getByRole("button", { name: "task.md" }).click();
    const viewer = page.getByRole("region", { name: "Artifact task.md" });
    await viewer.getByRole("heading", { name: "Steps" }).waitFor();
    await viewer.getByRole("listitem").filter({ hasText: /^one$/ }).waitFor();
    expect(await viewer.locator("img, script").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    await page.context().close();
  });
});
