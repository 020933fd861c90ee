import type { Finding, Note, Task } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { seriousViolations as serious } from "./axe.ts";
import { e2eSuite, fillNewTask, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

describe("the person in the loop, in the dashboard", () => {
  it("needs_attention → dismiss a finding, write a note, resume → done; accept another", async () => {
    const task = await e2e.server.fileTask(
      "Steer me",
      {
        claude: [
          { kind: "ok", text: "Did part 1" },
          { kind: "ok", text: "Did part 2" },
        ],
        codex: [
          {
            kind: "review",
            text: "STATUS: ISSUES_FOUND\n\n- `src/api.ts:40` — the error body lacks a `code` field.\n- `README.md` has no usage example.",
          },
          { kind: "review", text: "STATUS: DONE\n\nSTILL OPEN: none" },
        ],
      },
      { maxIterations: 1 },
    );
    await e2e.server.waitForStatus(task.id, ["needs_attention"]);
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.setViewportSize({ width: 390, height: 1100 });
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const panel = page.getByRole("region", { name: "Your turn" });
    await panel.getByText("Last review (iteration 1)").waitFor();
    await panel.getByText("has no usage example").first().waitFor();

    // Dismiss F2 with a reason, by keyboard.
    await panel.getByRole("button", { name: "Dismiss F2" }).focus();
    await page.keyboard.press("Enter");
    await panel.getByLabel("Why dismiss F2?").fill("Docs come in a later task.");
    await page.keyboard.press("Enter");
    await panel.getByRole("heading", { name: "Dismissed (1)" }).waitFor();
    await panel.getByRole("button", { name: "Reopen F2" }).waitFor();
    await panel.getByLabel("Note for the agents").fill("Use the shared error helper for the code field.");
    await page.screenshot({ path: screenshotPath("steering-panel.png"), fullPage: true });
    await panel.screenshot({ path: screenshotPath("steering-panel-only.png") });
    expect(await serious(page)).toEqual([]);
    // The panel fits a 390 px screen, its controls included.
    const box = await panel.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    const accept = await panel.getByRole("button", { name: "Accept" }).boundingBox();
    expect(accept!.x + accept!.width).toBeLessThanOrEqual(390);

    await panel.getByRole("button", { name: "Resume with 3 more iterations" }).click();
    await e2e.server.waitForStatus(task.id, ["done"], 60_000);
    await page.getByRole("region", { name: "Your turn" }).waitFor({ state: "detached" });
    await page.getByLabel("Your note for iteration 2").waitFor();
    const d = await e2e.server.api<{ task: Task; findings: Finding[]; notes: Note[] }>(
      `/api/tasks/${task.id}`,
    );
    expect(d.body.notes.map((n) => n.text)).toEqual(["Use the shared error helper for the code field."]);
    expect(d.body.findings.find((f) => f.id === "F2")).toMatchObject({
      status: "dismissed",
      dismissReason: "Docs come in a later task.",
    });

    // Another task: accept it as it is.
    const other = await e2e.server.fileTask(
      "Accept me",
      {
        claude: [{ kind: "ok", text: "ok" }],
        codex: [{ kind: "review", text: "STATUS: ISSUES_FOUND\n- a nit in `x.ts`" }],
      },
      { maxIterations: 1 },
    );
    await e2e.server.waitForStatus(other.id, ["needs_attention"]);
    await page.goto(`${e2e.server.origin}/tasks/${other.id}`);
    const panel2 = page.getByRole("region", { name: "Your turn" });
    await panel2.getByLabel("Note for the agents").fill("The nit is fine.");
    await panel2.getByRole("button", { name: "Accept" }).click();
    await page.getByText("Accepted by the user after iteration 1: The nit is fine.").waitFor();
    expect((await e2e.server.api<{ task: Task }>(`/api/tasks/${other.id}`)).body.task.status).toBe("done");
    await page.context().close();
  }, 120_000);

  it("step mode from the form: the task waits after iteration 1, the panel says so, Resume finishes it", async () => {
    const wd = e2e.server.workdir({
      claude: [
        { kind: "ok", text: "Did step 1" },
        { kind: "ok", text: "Did step 2" },
      ],
      codex: [
        { kind: "review", text: "STATUS: ISSUES_FOUND\n\n- `a.ts:1` — handle the empty input." },
        { kind: "review", text: "STATUS: DONE\n\nSTILL OPEN: none" },
      ],
    });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    await fillNewTask(page, { title: "Step by step", prompt: "Do it in steps.", workingDir: wd });
    await page.getByLabel("Step mode: wait for me after each review").check();
    await page.getByRole("button", { name: "Start" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/"));
    const taskId = page.url().split("/tasks/")[1]!;
    expect((await e2e.server.api<{ task: Task }>(`/api/tasks/${taskId}`)).body.task.pauseAfterIteration).toBe(
      true,
    );
    await page.getByText("waits for you after each review").waitFor();
    const panel = page.getByRole("region", { name: "Your turn" });
    await panel.waitFor({ timeout: 60_000 });
    await page.getByText("Waiting for you after iteration 1: 1 open finding").first().waitFor();
    await panel.getByText("handle the empty input").first().waitFor();
    await panel.getByRole("button", { name: "Resume", exact: true }).click();
    await e2e.server.waitForStatus(taskId, ["done"], 60_000);
    await panel.waitFor({ state: "detached" });
    await page.context().close();
  }, 120_000);
});
