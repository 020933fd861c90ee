import { describe, expect, it } from "vitest";
import { e2eSuite, signedInPage } from "./harness.ts";

const e2e = e2eSuite({ LOOP_ALLOWED_COMMANDS: "npx tsc" });

describe("loop's check in the dashboard", () => {
  it("the form's Check command is remembered per directory; the iteration shows a failing check in red with its output", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    const one = e2e.server.workdir();
    const two = e2e.server.workdir();
    const dir = page.getByLabel("Working directory", { exact: true });
    const check = page.getByLabel("Check command", { exact: true });
    // The top bar says what a claude worker may run without asking.
    await expect
      .poll(() => page.getByTestId("permissions").innerText(), { timeout: 15_000 })
      .toBe("claude acceptEdits · 1 allowed command");

    await page.getByLabel("Title", { exact: true }).fill("checked");
    await page.getByLabel("Prompt", { exact: true }).fill("Do it");
    await dir.fill(one);
    await page.getByLabel("Max iterations", { exact: true }).fill("1");
    await check.fill("echo checking; exit 2");
    await page.getByRole("button", { name: "Start" }).click();

    const badge = page.locator("[data-iteration='1'] .check-badge");
    await expect.poll(() => badge.innerText(), { timeout: 30_000 }).toMatch(/^✗ check failed \(exit 2\)/);
    expect(await badge.evaluate((el) => getComputedStyle(el).color)).toBe("rgb(207, 34, 46)");
    const log = page.getByRole("log", { name: "Check output, iteration 1" });
    await expect.poll(() => log.innerText()).toContain("checking");

    // Back on the form: the command comes back for that directory only.
    await page.goto(`${e2e.server.origin}/`);
    await expect.poll(() => dir.inputValue()).toBe(one);
    expect(await check.inputValue()).toBe("echo checking; exit 2");
    await dir.fill(two);
    expect(await check.inputValue()).toBe("");
    await dir.fill(one);
    expect(await check.inputValue()).toBe("echo checking; exit 2");
    await page.context().close();
  });
});
