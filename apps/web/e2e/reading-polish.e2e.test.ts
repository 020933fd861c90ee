import { describe, expect, it } from "vitest";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("reading a task and the list", () => {
  it("a finished task shows how many iterations it took, not an unfinished bar; the verdict quotes the findings", async () => {
    const task = await e2e.server.fileTask(
      "Two reviews",
      {
        claude: [
          { kind: "ok", text: "one" },
          { kind: "ok", text: "two" },
        ],
        codex: [
          {
            kind: "review",
            text: "STATUS: ISSUES_FOUND\n- Handle the empty input.\n- Name the flag --json.",
          },
          { kind: "review", text: "STATUS: DONE\nGood." },
        ],
      },
      { maxIterations: 10 },
    );
    await e2e.server.waitForStatus(task.id, ["done"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("2 iterations (cap 10)").waitFor();
    expect(await header.getByRole("progressbar").count()).toBe(0);

    const it1 = page.locator("section[data-iteration='1']");
    const found = it1.getByRole("list", { name: "What Codex found" });
    await found.waitFor();
    expect(await found.getByRole("listitem").allInnerTexts()).toEqual([
      "F1 Handle the empty input.",
      "F2 Name the flag --json.",
    ]);
    // Not the bare STATUS line again.
    expect(await it1.innerText()).not.toContain("“STATUS: ISSUES_FOUND”");
    await it1.screenshot({ path: screenshotPath("verdict-findings.png") });

    // The log's line numbers stand apart from a tool's own output (a rule and a gap between them).
    const claude1 = it1.getByRole("button", { name: /Claude/ });
    if ((await claude1.getAttribute("aria-expanded")) !== "true") await claude1.click();
    const row = page
      .getByRole("log", { name: "Claude output, iteration 1" })
      .locator(".log-line")
      .filter({ hasText: "total 0" });
    await row.waitFor();
    const gap = await row.evaluate((el) => {
      const ln = el.querySelector(".ln")!;
      const lt = el.querySelector(".lt")!;
      return {
        rule: getComputedStyle(ln).borderRightWidth,
        px: lt.getBoundingClientRect().left - ln.getBoundingClientRect().right,
      };
    });
    expect(gap.rule).toBe("1px");
    expect(gap.px).toBeGreaterThanOrEqual(8);
    await page.context().close();
  });

  it("the list's search and status filter live in the URL: kept on reload, and a link opens them", async () => {
    await e2e.server.fileTask("Parser fix", { claude: [{ kind: "exit", code: 1, stderr: "boom" }] });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByLabel("Search tasks").fill("parser");
    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    await expect.poll(() => new URL(page.url()).search).toBe("?q=parser&status=failed");
    await page.reload();
    expect(await page.getByLabel("Search tasks").inputValue()).toBe("parser");
    expect(await page.getByLabel("Status", { exact: true }).inputValue()).toBe("failed");
    await page.goto(`${e2e.server.origin}/?status=done`);
    expect(await page.getByLabel("Status", { exact: true }).inputValue()).toBe("done");
    await page.context().close();
  });

  it("keyboard: / searches, j/k walk the list, c opens the form, ? shows the help", async () => {
    for (const title of ["Alpha", "Bravo"])
      await e2e.server.fileTask(title, { claude: [{ kind: "exit", code: 1, stderr: "x" }] });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByRole("link", { name: "Alpha" }).waitFor();
    const focused = () =>
      page.evaluate(
        () =>
          (document.activeElement as HTMLElement | null)?.getAttribute("aria-label") ??
          document.activeElement?.textContent ??
          "",
      );
    await page.keyboard.press("/");
    expect(await focused()).toBe("Search tasks");
    await page.keyboard.press("Escape");
    await page.locator("body").click({ position: { x: 5, y: 200 } });
    await page.keyboard.press("j");
    const first = await focused();
    await page.keyboard.press("j");
    const second = await focused();
    expect(second).not.toBe(first);
    await page.keyboard.press("k");
    expect(await focused()).toBe(first);
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/"));
    await page.getByRole("heading", { level: 1, name: first }).waitFor();
    await page.keyboard.press("c");
    await page.waitForURL((u) => u.pathname === "/");
    await expect
      .poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name))
      .toBe("title");
    // Typed into the field, "?" is a character, not the help.
    await page.keyboard.type("Why?");
    expect(await page.getByRole("dialog", { name: "Keyboard shortcuts" }).count()).toBe(0);
    await page.locator("body").click({ position: { x: 5, y: 200 } });
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    expect(await help.innerText()).toContain("j / k");
    await page.screenshot({ path: screenshotPath("shortcuts-help.png") });
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });
    await page.context().close();
  });
});
