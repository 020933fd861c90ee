import type { Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { e2eSuite, fillNewTask, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("the queue", () => {
  it("shows what runs next, moves and removes tasks, and a paused queue starts nothing new", async () => {
    const quick = { claude: [{ kind: "ok", text: "ok" }], codex: [{ kind: "review", text: "STATUS: DONE" }] };
    const running = await e2e.server.fileTask("Long one", {
      claude: [{ kind: "slow", lines: 300, intervalMs: 20 }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    await e2e.server.waitForStatus(running.id, ["running"]);
    const a = await e2e.server.fileTask("Alpha", quick);
    await e2e.server.fileTask("Bravo", quick);
    const c = await e2e.server.fileTask("Charlie", quick);

    const page = await signedInPage(e2e.browser, e2e.server);
    const queue = page.getByRole("list", { name: "Queued tasks, next first" });
    const order = async () => (await queue.getByRole("link").allInnerTexts()).join(",");
    await queue.getByRole("link", { name: "Charlie" }).waitFor();
    expect(await order()).toBe("Alpha,Bravo,Charlie");

    await page.getByRole("button", { name: "Move Charlie to the top" }).click();
    await page.waitForFunction(
      () => document.querySelector("[aria-label='Queued tasks, next first'] a")?.textContent === "Charlie",
    );
    await page.getByRole("button", { name: "Move Alpha down" }).click();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("[aria-label='Queued tasks, next first'] a")]
          .map((x) => x.textContent)
          .join(",") === "Charlie,Bravo,Alpha",
    );
    await page.getByRole("button", { name: "Remove Bravo from the queue" }).click();
    await page.waitForFunction(
      () => document.querySelectorAll("[aria-label='Queued tasks, next first'] a").length === 2,
    );

    // The task list sees it leave too.
    const bravo = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: "Bravo" }) });
    await bravo.getByText("Removed from the queue").waitFor();

    await page.getByRole("button", { name: "Pause queue" }).click();
    await page.getByRole("heading", { name: "Queue (paused)" }).waitFor();
    await page.screenshot({ path: screenshotPath("queue-paused.png"), fullPage: true });
    await e2e.server.waitForStatus(running.id, ["done"], 60_000);
    // The running task finished; nothing new started.
    expect((await e2e.server.api<{ task: Task }>(`/api/tasks/${c.id}`)).body.task.status).toBe("queued");
    expect(await order()).toBe("Charlie,Alpha");

    await page.getByRole("button", { name: "Resume queue" }).click();
    await e2e.server.waitForStatus(a.id, ["done"], 60_000);
    expect((await e2e.server.api<{ task: Task }>(`/api/tasks/${c.id}`)).body.task.status).toBe("done");
    // The panel stays (Pause queue is always at hand), empty.
    await page.getByText("Nothing is waiting.", { exact: false }).waitFor();
    expect(await page.getByRole("heading", { name: "Queue", exact: true }).count()).toBe(1);
    await page.context().close();
  }, 120_000);

  it("the form chains a task: 'Run after' a running one files it with after, and it starts once that one is done", async () => {
    const first = await e2e.server.fileTask("Build it first", {
      claude: [{ kind: "slow", lines: 200, intervalMs: 20 }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    await e2e.server.waitForStatus(first.id, ["running"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await fillNewTask(page, {
      title: "Then this",
      prompt: "Follow up.",
      workingDir: e2e.server.workdir({
        claude: [{ kind: "ok", text: "ok" }],
        codex: [{ kind: "review", text: "STATUS: DONE" }],
      }),
    });
    const select = page.getByLabel("Run after");
    await select.locator("option", { hasText: "Build it first (running" }).waitFor({ state: "attached" });
    await select.selectOption(first.id);
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/"));
    const second = page.url().split("/tasks/")[1]!;
    expect((await e2e.server.api<{ task: Task }>(`/api/tasks/${second}`)).body.task.after).toBe(first.id);
    const done = await e2e.server.waitForStatus(second, ["done"], 60_000);
    const before = (await e2e.server.api<{ task: Task }>(`/api/tasks/${first.id}`)).body.task;
    expect(before.status).toBe("done");
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(before.finishedAt!));
    await page.context().close();
  }, 120_000);

  it("a task at its cap offers 'Resume with N more iterations' and runs them", async () => {
    const task = await e2e.server.fileTask(
      "Capped",
      {
        claude: [{ kind: "ok", text: "ok" }],
        // Different findings each time: the same ones three times would stop it as a stalemate.
        codex: ["the flag", "the docs", "the tests"].map((x) => ({
          kind: "review",
          text: `STATUS: ISSUES_FOUND\n- fix ${x}`,
        })),
      },
      { maxIterations: 1 },
    );
    await e2e.server.waitForStatus(task.id, ["needs_attention"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("spinbutton", { name: "More iterations" }).fill("2");
    await page.getByRole("button", { name: "Resume with 2 more iterations" }).click();
    // The page follows the task live to its new cap.
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    // Ended: the count it took against its new cap (no bar that reads as unfinished).
    await header.getByText("3 iterations (cap 3)").waitFor({ timeout: 60_000 });
    await header
      .getByText("Reached the iteration cap (3) with issues remaining")
      .waitFor({ timeout: 60_000 });
    const final = await e2e.server.api<{ task: Task }>(`/api/tasks/${task.id}`);
    expect(final.body.task).toMatchObject({
      maxIterations: 3,
      currentIteration: 3,
      status: "needs_attention",
    });
    await page.getByRole("button", { name: "Resume with 2 more iterations" }).waitFor();
    await page.context().close();
  }, 90_000);
});
