import { beforeAll, describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage, TWO_ITERATIONS_OF_FILES } from "./harness.ts";

const e2e = e2eSuite();
let taskId: string;

beforeAll(async () => {
  const task = await e2e.server.fileTask("Two iterations of files", TWO_ITERATIONS_OF_FILES);
  await e2e.server.waitForStatus(task.id, ["done"]);
  taskId = task.id;
}, 60_000);

describe.each([
  { name: "desktop", width: 1280, height: 800 },
  { name: "390", width: 390, height: 844 },
])("the artifacts ($name)", ({ name, width, height }) => {
  it("are grouped by iteration and open wide; result.md's table scrolls instead of breaking its headers", async () => {
    const page = await signedInPage(e2e.browser, e2e.server, { width, height });
    await page.goto(`${e2e.server.origin}/tasks/${taskId}`);
    const files = page.getByRole("list", { name: "Artifact files" });
    await files.getByRole("button", { name: "result.md" }).waitFor();
    expect(await files.getByRole("heading").allInnerTexts()).toEqual(["Task", "Iteration 1", "Iteration 2"]);
    const it1 = files.getByRole("list", { name: "Iteration 1 files" });
    expect(await it1.getByRole("button").count()).toBeGreaterThanOrEqual(4);
    for (const b of await it1.getByRole("button").allInnerTexts()) expect(b).toMatch(/^001-/);
    expect(await files.getByRole("list", { name: "Task files" }).innerText()).toContain("result.md");

    await files.getByRole("button", { name: "result.md" }).click();
    const viewer = page.getByRole("region", { name: "Artifact result.md" });
    const table = viewer.locator(".markdown table").first();
    await table.waitFor();
    // Wide: most of the window, not a ~350 px sidebar.
    expect((await viewer.boundingBox())!.width).toBeGreaterThan(width * 0.85 - 40);
    // Each header on one line: no "I/t/e/r/a/t/i/o/n" stacked letter by letter.
    const lineHeights = await table
      .locator("th")
      .evaluateAll((ths) =>
        ths.map(
          (th) =>
            th.getBoundingClientRect().height / Number.parseFloat(getComputedStyle(th).lineHeight || "20"),
        ),
      );
    for (const h of lineHeights) expect(h).toBeLessThan(2);
    // A table wider than the screen scrolls inside itself; the page never does.
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBe(0);
    await page.screenshot({ path: screenshotPath(`artifact-result-${name}.png`) });
    await page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    await page.context().close();
  });
});
