import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { git } from "../../../packages/core/test/fixtures/git.ts";
import { e2eSuite, screenshotPath, signedInPage } from "./harness.ts";

// No GitHub CLI: the panel says why Open PR is off.
const e2e = e2eSuite({ LOOP_GH_BIN: "/nonexistent/gh" });

describe("landing a worktree task from its page", () => {
  it("a done worktree task: the Branch panel shows base, files and diff; Squash lands it and the page says so", async () => {
    const wd = e2e.server.workdir({
      claude: [{ kind: "ok", text: "added notes", write: { path: "notes.txt", content: "one\ntwo\n" } }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    git(wd, "init", "-q", "-b", "main");
    writeFileSync(join(wd, ".gitignore"), ".fake-state/\n");
    writeFileSync(join(wd, "README.md"), "hello\n");
    git(wd, "add", "-A");
    git(wd, "commit", "-q", "-m", "initial");
    const before = git(wd, "rev-parse", "HEAD").trim();
    const r = await e2e.server.api<{ task: Task }>("/api/tasks", {
      method: "POST",
      body: {
        title: "Notes",
        prompt: "Write notes",
        workingDir: wd,
        maxIterations: 1,
        isolation: "worktree",
      },
    });
    expect(r.status).toBe(201);
    const task = r.body.task;
    await e2e.server.waitForStatus(task.id, ["done"]);

    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Notes" }).waitFor();
    const panel = page.getByRole("region", { name: "Branch" });
    await panel.getByText(`loop/${task.id} → main: 1 commit ahead, 0 behind.`).waitFor();
    const files = panel.getByRole("table", { name: "Files the branch changes" });
    expect(await files.innerText()).toMatch(/notes\.txt\s+\+2\s+-0/);
    await panel.getByText("Whole-branch diff").click();
    await panel
      .getByRole("region", { name: `Changes on loop/${task.id}` })
      .getByText("notes.txt")
      .first()
      .waitFor();
    await panel.getByText("Open PR: /nonexistent/gh was not found").waitFor();
    expect(await panel.getByRole("button", { name: "Open PR" }).isDisabled()).toBe(true);
    const patch = panel.getByRole("link", { name: "Patch" });
    expect(await patch.getAttribute("href")).toBe(`/api/tasks/${task.id}/patch`);

    // Delete's confirmation says the branch stays.
    let confirmText = "";
    page.once("dialog", (d) => {
      confirmText = d.message();
      void d.dismiss();
    });
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => confirmText).toContain(`the branch loop/${task.id} stays in your repository`);

    await panel.getByRole("button", { name: "Squash" }).click();
    const landed = panel.getByRole("status");
    await landed.waitFor();
    const head = git(wd, "rev-parse", "HEAD").trim();
    expect(head).not.toBe(before);
    expect(await landed.innerText()).toContain(`Squashed into main as ${head.slice(0, 12)}`);
    expect(git(wd, "log", "-1", "--format=%P", head).trim()).toBe(before);
    expect(readFileSync(join(wd, "notes.txt"), "utf8")).toBe("one\ntwo\n");
    expect(git(wd, "status", "--porcelain=v1", "--untracked-files=all")).toBe("");
    await panel.getByText("main already has everything this branch changes.").waitFor();
    expect(await panel.getByRole("button", { name: "Squash" }).isDisabled()).toBe(true);
    await page.screenshot({ path: screenshotPath("landing-squashed.png"), fullPage: true });

    // The page shows it after a reload too (the task row carries it).
    await page.reload();
    await panel
      .getByRole("status")
      .getByText(`Squashed into main as ${head.slice(0, 12)}`)
      .waitFor();
    await page.context().close();
  });
});
