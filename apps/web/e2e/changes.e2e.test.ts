import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("a task's changes and findings", () => {
  it("shows each iteration's diff with collapsible files, the whole task's change, and the ledger", async () => {
    const wd = e2e.server.workdir({
      claude: [
        { kind: "ok", text: "added notes", write: { path: "notes.txt", content: "one\ntwo\n" } },
        { kind: "ok", text: "edited notes", write: { path: "notes.txt", content: "one\nTWO\nthree\n" } },
      ],
      codex: [
        {
          kind: "review",
          text: "STATUS: ISSUES_FOUND\n- notes.txt:2 must be upper case\n- The README does not mention notes.txt",
        },
        { kind: "review", text: "STATUS: ISSUES_FOUND\n1. notes.txt:2 is still not upper case everywhere" },
      ],
    });
    git(wd, "init", "-q", "-b", "main");
    writeFileSync(join(wd, ".gitignore"), ".fake-state/\n.fake-scenario.json\n");
    writeFileSync(join(wd, "README.md"), "hello\n");
    git(wd, "add", "-A");
    git(wd, "commit", "-q", "-m", "initial");
    const r = await e2e.server.api<{ task: Task }>("/api/tasks", {
      method: "POST",
      body: { title: "Notes", prompt: "Write notes", workingDir: wd, maxIterations: 2 },
    });
    expect(r.status).toBe(201);
    const task = r.body.task;
    await e2e.server.waitForStatus(task.id, ["needs_attention"]);

    const page = await signedInPage(e2e.browser, e2e.server);
    // The diff view reads the changes as data, never the Markdown artifact.
    const fetched: string[] = [];
    page.on("request", (req) => {
      const path = new URL(req.url()).pathname;
      if (path.startsWith(`/api/tasks/${task.id}/`)) fetched.push(path.slice(`/api/tasks/${task.id}`.length));
    });
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Notes" }).waitFor();

    // The ledger: F1 still open since iteration 1, F2 resolved in iteration 2.
    const overview = page.getByRole("region", { name: "Findings and changes" });
    const findings = overview.getByRole("table");
    await findings.waitFor();
    const row = (id: string) =>
      findings.getByRole("row").filter({ has: page.getByRole("rowheader", { name: id }) });
    // The table is drawn from the task first, then from the replayed events, which come in pieces:
    // until the last one it may show the ledger as iteration 1 left it.
    await expect
      .poll(() => row("F2").innerText())
      .toMatch(/README does not mention[\s\S]*Resolved in iteration 2/);
    expect(await row("F1").innerText()).toMatch(
      /notes\.txt:2 is still not upper case[\s\S]*Open since iteration 1/,
    );
    await expect.poll(() => overview.getByText("1 open · 1 resolved").count()).toBe(1);

    // Iteration 2's own change: only the edit, in a diff view whose files fold.
    const it2 = page.locator("section[data-iteration='2']");
    await it2.getByText("1 file changed, +2 -1").waitFor();
    await it2.getByRole("button", { name: "Changes" }).click();
    const diff2 = page.getByRole("region", { name: "Changes in iteration 2" });
    await diff2.waitFor();
    const file = diff2.locator("details", { hasText: "notes.txt" });
    await file.getByText("TWO", { exact: true }).waitFor();
    expect(await diff2.innerText()).not.toContain("new file");
    expect(await file.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await file.getByText("notes.txt").click();
    await page.waitForFunction((el) => !(el as HTMLDetailsElement).open, await file.elementHandle());
    // The body unmounts on the details' toggle event, which the browser fires after `open` changes.
    await file.getByText("TWO", { exact: true }).waitFor({ state: "detached" });
    await file.getByText("notes.txt").click();
    await file.getByText("TWO", { exact: true }).waitFor();

    // The whole task's change is one view too: the file is added, with its final content.
    await overview.getByText("1 file changed, +3 -0").waitFor();
    await overview.getByRole("button", { name: "Whole task's changes" }).click();
    const whole = page.getByRole("region", { name: "Changes over the whole task" });
    await whole.locator("details", { hasText: "notes.txt" }).getByText("three", { exact: true }).waitFor();
    expect(await whole.getByText("added", { exact: true }).count()).toBe(1);
    expect(fetched).toEqual(expect.arrayContaining(["/iterations/2/changes", "/changes"]));
    expect(fetched.filter((p) => p.includes("changes.md"))).toEqual([]);
    // Line numbers of both sides, from the hunks' data: TWO replaces two on line 2.
    expect(await file.locator("tr", { hasText: /TWO/ }).innerText()).toMatch(/^\s*2\b/);
    await page.screenshot({ path: screenshotPath("changes-and-findings.png"), fullPage: true });
    await page.context().close();
  });
});
