import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { seriousViolations, sidewaysOverflow } from "./axe.ts";
import { e2eSuite, screenshotPath } from "./harness.ts";

const e2e = e2eSuite();

const MATH = (op: string) =>
  [
    "// Arithmetic helpers.",
    "export function add(a: number, b: number): number {",
    `  return a ${op} b;`,
    "}",
    "",
    "export const TWO = add(1, 1);",
    "",
  ].join("\n");

let task: Task;

/** Files a task in a git repository (its first commit holding `files`) running `scenario`. */
async function gitTask(
  title: string,
  scenario: object,
  files: Record<string, string>,
  maxIterations: number,
) {
  const wd = e2e.server.workdir(scenario);
  git(wd, "init", "-q", "-b", "main");
  writeFileSync(join(wd, ".gitignore"), ".fake-state/\n.fake-scenario.json\n");
  for (const [path, content] of Object.entries(files)) writeFileSync(join(wd, path), content);
  git(wd, "add", "-A");
  git(wd, "commit", "-q", "-m", "initial");
  const r = await e2e.server.api<{ task: Task }>("/api/tasks", {
    method: "POST",
    body: { title, prompt: "p", workingDir: wd, maxIterations },
  });
  expect(r.status).toBe(201);
  return r.body.task;
}

/** A page in a fresh context of that size and colour scheme, signed in. */
async function open(scheme: "light" | "dark", size: { width: number; height: number }): Promise<Page> {
  const context = await e2e.browser.newContext({ viewport: size, colorScheme: scheme });
  const page = await context.newPage();
  await page.goto(e2e.server.url);
  return page;
}

/** The task's page with the whole task's diff open. */
async function wholeDiff(page: Page) {
  await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
  const overview = page.getByRole("region", { name: "Findings and changes" });
  await overview.getByRole("button", { name: "Whole task's changes" }).click();
  const diff = page.getByRole("region", { name: "Changes over the whole task" });
  await diff.getByRole("list", { name: "Files" }).waitFor();
  return diff;
}

describe("the diff view", () => {
  beforeAll(async () => {
    // Three iterations, one file each: the whole task changes a TypeScript file, adds Markdown and JSON.
    task = await gitTask(
      "Three files",
      {
        claude: [
          { kind: "ok", text: "minus", write: { path: "math.ts", content: MATH("-") } },
          { kind: "ok", text: "notes", write: { path: "notes.md", content: "# Notes\n\n- one\n" } },
          { kind: "ok", text: "config", write: { path: "config.json", content: '{ "on": true, "n": 2 }\n' } },
        ],
        codex: [
          { kind: "review", text: "STATUS: ISSUES_FOUND\n- write notes" },
          { kind: "review", text: "STATUS: ISSUES_FOUND\n- add a config" },
          { kind: "review", text: "STATUS: DONE" },
        ],
      },
      { "math.ts": MATH("+") },
      3,
    );
    await e2e.server.waitForStatus(task.id, ["done"]);
  }, 60_000);

  it("lists the files with their counts, jumps to one by click or keyboard, highlights code, and keeps split across a reload", async () => {
    const page = await open("light", { width: 1280, height: 800 });
    // The diff view, the highlighter and the grammars load on use: none with the task page.
    const scripts: string[] = [];
    page.on("request", (r) => {
      const m = /\/assets\/([A-Za-z]+)-[\w-]+\.js$/.exec(new URL(r.url()).pathname);
      if (m) scripts.push(m[1]!);
    });
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.locator(".iteration").first().waitFor();
    expect(scripts).not.toContain("ChangesView");
    let diff = await wholeDiff(page);
    const list = diff.getByRole("list", { name: "Files" });
    expect(
      (await list.getByRole("button").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim()),
    ).toEqual([
      "A added config.json +1 −0 1 line added, 0 deleted",
      "M modified math.ts +1 −1 1 line added, 1 deleted",
      "A added notes.md +3 −0 3 lines added, 0 deleted",
    ]);

    // Highlighted by the file's name: the TypeScript grammar for math.ts, JSON for config.json.
    const math = diff.locator('details[data-path="math.ts"]');
    await math.locator(".hljs-keyword", { hasText: "return" }).first().waitFor();
    expect(await math.locator(".hljs-comment").first().innerText()).toBe("// Arithmetic helpers.");
    await diff.locator('details[data-path="config.json"] .hljs-literal').first().waitFor();
    expect(await diff.locator('details[data-path="notes.md"]').getAttribute("data-language")).toBe(
      "markdown",
    );
    // One grammar chunk per language shown, and no other.
    await expect
      .poll(() =>
        scripts.filter((n) => ["typescript", "json", "markdown", "javascript", "css"].includes(n)).sort(),
      )
      .toEqual(["json", "markdown", "typescript"]);

    // Collapse everything, then the list opens one file, brings it into view and focuses it.
    await diff.getByRole("button", { name: "Collapse all" }).click();
    await expect.poll(() => diff.locator("details[open]").count()).toBe(0);
    await list.getByRole("button", { name: /config\.json/ }).click();
    const config = diff.locator('details[data-path="config.json"]');
    await page.waitForFunction((d) => (d as HTMLDetailsElement).open, await config.elementHandle());
    expect(await page.evaluate(() => document.activeElement?.closest("details")?.dataset.path)).toBe(
      "config.json",
    );
    const top = await config.evaluate((d) => d.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(-1);
    expect(top).toBeLessThan(800);
    // Keyboard only: ↓ along the list (config.json, math.ts, notes.md), Enter jumps.
    await list.getByRole("button").first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const notes = diff.locator('details[data-path="notes.md"]');
    await page.waitForFunction((d) => (d as HTMLDetailsElement).open, await notes.elementHandle());
    expect(await page.evaluate(() => document.activeElement?.closest("details")?.dataset.path)).toBe(
      "notes.md",
    );
    await expect.poll(() => diff.locator("details[open]").count()).toBe(2);

    // Unified by default; Split puts both sides in one row, and is remembered.
    await diff.getByRole("button", { name: "Expand all" }).click();
    await expect.poll(() => diff.locator("table.diff-unified").count()).toBe(3);
    await diff.getByRole("button", { name: "Split" }).click();
    await diff.locator("table.diff-split").nth(2).waitFor();
    await expect.poll(() => diff.locator("table.diff-unified").count()).toBe(0);
    const row = math.locator("tr", { hasText: "a - b" });
    expect(await row.innerText()).toMatch(/3\s+return a \+ b;\s+3\s+return a - b;/);
    diff = await wholeDiff(page);
    await diff.locator("table.diff-split").first().waitFor();
    expect(await diff.getByRole("button", { name: "Split" }).getAttribute("aria-pressed")).toBe("true");
    expect(await page.evaluate(() => localStorage.getItem("loop.diffLayout"))).toBe("split");
    await page.screenshot({ path: screenshotPath("diffview-split-light-desktop.png"), fullPage: true });
    await page.context().close();
  });

  it("a file of 2 500 lines starts closed and renders nothing; opened, it is plain text and says why", async () => {
    const big = Array.from({ length: 2500 }, (_, i) => `export const v${i} = ${i};`).join("\n");
    const t = await gitTask(
      "Big file",
      {
        claude: [{ kind: "ok", text: "big", write: { path: "big.ts", content: `${big}\n` } }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      },
      {},
      1,
    );
    await e2e.server.waitForStatus(t.id, ["done"]);
    const page = await open("dark", { width: 1280, height: 800 });
    await page.goto(`${e2e.server.origin}/tasks/${t.id}`);
    await page.locator("section[data-iteration='1']").getByRole("button", { name: "Changes" }).click();
    const diff = page.getByRole("region", { name: "Changes in iteration 1" });
    const file = diff.locator('details[data-path="big.ts"]');
    await file.waitFor();
    // Over 300 lines: closed, and nothing of it rendered.
    expect(await file.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await file.locator("tr").count()).toBe(0);
    await file.locator("summary").click();
    await file.getByText("Too large to highlight: shown as plain text.").waitFor();
    await file.getByText("export const v2499 = 2499;").waitFor();
    expect(await file.locator("[class^='hljs-']").count()).toBe(0);
    expect(await sidewaysOverflow(page)).toBe(0);
    await page.context().close();
  });

  for (const scheme of ["light", "dark"] as const) {
    for (const size of [
      { name: "desktop", width: 1280, height: 800 },
      { name: "390", width: 390, height: 844 },
    ]) {
      it(`${scheme}, ${size.name}: fits the screen, split only where it fits, no serious axe violations`, async () => {
        const page = await open(scheme, size);
        await page.evaluate(() => localStorage.setItem("loop.diffLayout", "split"));
        const diff = await wholeDiff(page);
        await diff.locator(".hljs-keyword").first().waitFor();
        await diff.locator(".hljs-literal").first().waitFor();
        const phone = size.width < 720;
        // A phone keeps the stored choice but shows unified, with no switch to offer.
        await expect.poll(() => diff.locator(`table.diff-${phone ? "unified" : "split"}`).count()).toBe(3);
        await expect.poll(() => diff.getByRole("button", { name: "Split" }).count()).toBe(phone ? 0 : 1);
        expect(await sidewaysOverflow(page)).toBe(0);
        for (const b of await diff.getByRole("list", { name: "Files" }).getByRole("button").all()) {
          expect(await b.isVisible()).toBe(true);
        }
        expect(await seriousViolations(page, "section.changes")).toEqual([]);
        await diff.screenshot({ path: screenshotPath(`diffview-${scheme}-${size.name}.png`) });
        await page.context().close();
      });
    }
  }
});
