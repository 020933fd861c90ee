import { describe, expect, it } from "vitest";
import { e2eSuite, signedInPage } from "./harness.ts";

const e2e = e2eSuite();
const DONE = { claude: [{ kind: "ok", text: "done" }], codex: [{ kind: "review", text: "STATUS: DONE" }] };

describe("the page title", () => {
  it("counts tasks that ended while you looked elsewhere, and clears when you open them", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    expect(await page.title()).toBe("loop");
    await e2e.server.fileTask("Background job", DONE, { maxIterations: 2 });
    await page.waitForFunction(() => document.title === "(1) loop");
    await page.getByRole("link", { name: "Background job" }).click();
    await page.getByRole("heading", { level: 1, name: "Background job" }).waitFor();
    await page.waitForFunction(() => document.title === "loop");
    await page.context().close();
  });
});

describe("artifacts", () => {
  it("render Markdown but never run HTML from a prompt or an agent", async () => {
    const task = await e2e.server.fileTask("Hostile prompt", DONE, {
      prompt:
        '## Steps\n\n- one\n\n<img src="x" onerror="window.__xss = 1">\n<script>window.__xss = 2</script>',
      maxIterations: 2,
    });
    await e2e.server.waitForStatus(task.id, ["done"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("list", { name: "Artifact files" }).getByRole("button", { name: "task.md" }).click();
    const viewer = page.getByRole("region", { name: "Artifact task.md" });
    await viewer.getByRole("heading", { name: "Steps" }).waitFor();
    await viewer.getByRole("listitem").filter({ hasText: /^one$/ }).waitFor();
    expect(await viewer.locator("img, script").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    await page.context().close();
  });
});
