import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { e2eSuite, FAKE_CODEX, screenshotPath, signedInPage } from "./harness.ts";

// codex is a link the test can remove and restore; neither CLI is logged in (FAKE_LOGGED_IN=0).
const binDir = mkdtempSync(join(tmpdir(), "loop-e2e-bin-"));
const codexBin = join(binDir, "codex");
symlinkSync(FAKE_CODEX, codexBin);
const e2e = e2eSuite({
  LOOP_CODEX_BIN: codexBin,
  LOOP_HEALTH_INTERVAL_MS: "200",
  LOOP_MAX_OUTPUT_MB: "64",
  FAKE_LOGGED_IN: "0",
});
afterAll(() => rmSync(binDir, { recursive: true, force: true }));

const FIVE_MB = 5 * 1024 * 1024;

describe("what a real run prints and how healthy the CLIs are", () => {
  it("a 5 MB answer from claude and a 5 MB review from codex end done, and the page stays responsive", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    const task = await e2e.server.fileTask("Five megabytes", {
      claude: [{ kind: "ok", text: "Done.", bytes: FIVE_MB }],
      codex: [{ kind: "review", text: "STATUS: DONE", bytes: FIVE_MB, noFile: true }],
    });
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Five megabytes" }).waitFor();
    const done = await e2e.server.waitForStatus(task.id, ["done", "failed", "needs_attention"], 120_000);
    expect(done.status, done.statusReason ?? "").toBe("done");
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("done", { exact: true }).waitFor({ timeout: 60_000 });
    // Responsive: a click is answered at once, and the page evaluates script.
    const toggle = page.getByRole("button", { name: /Claude/ }).first();
    const before = await toggle.getAttribute("aria-expanded");
    await toggle.click({ timeout: 10_000 });
    await page.waitForFunction(
      ([b]) => document.querySelector("button.disclosure")?.getAttribute("aria-expanded") !== b,
      [before],
      { timeout: 10_000 },
    );
    expect(await page.evaluate(() => 1 + 1)).toBe(2);
    await page.screenshot({ path: screenshotPath("five-megabytes.png") });
    await page.context().close();
  }, 240_000);

  it("not logged in is a quiet note and tasks run; a missing codex is red and holds the queue until it is back", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    const banner = page.getByRole("alert", { name: "Agent CLI problems" });
    const note = page.getByRole("status", { name: "Agent CLI notes" });
    // One note for both CLIs when both are logged out (the fakes here share FAKE_LOGGED_IN).
    await note.getByText(/codex (is|are) not logged in/).waitFor();
    expect(await banner.count()).toBe(0);
    expect(await note.innerText()).not.toContain("--version");

    // A task waits in a paused queue; codex goes missing; the queue resumes and holds it.
    await e2e.server.api("/api/queue/pause", { method: "POST" });
    // The task's status event makes the page read /api/health again: let that happen first, so
    // that nothing but the page's own recheck can show codex missing (no event says so).
    const reread = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/health");
    const task = await e2e.server.fileTask("Held", {
      claude: [{ kind: "ok", text: "did it" }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    await page.getByText("Held", { exact: true }).first().waitFor();
    await reread;
    rmSync(codexBin);
    // The page asks again every 10 s (WATCH_MS) while nothing is red.
    await banner.getByText("Tasks cannot run yet.").waitFor({ timeout: 30_000 });
    // Not found, or (run through node, as here) a --version that fails: either way red, naming it.
    expect(await banner.innerText()).toMatch(/codex (was not found at|at) "/);
    expect(await banner.innerText()).toContain(codexBin);
    await e2e.server.api("/api/queue/resume", { method: "POST" });
    await banner.getByText("Queued tasks wait", { exact: false }).waitFor({ timeout: 20_000 });
    const q = await e2e.server.api<{ waiting?: string }>("/api/queue");
    expect(q.body.waiting).toMatch(/^waiting: codex /);
    expect(await banner.getAttribute("class")).toContain("banner-error");
    await page.screenshot({ path: screenshotPath("queue-held.png"), fullPage: true });
    expect(
      (await e2e.server.api<{ task: { status: string } }>(`/api/tasks/${task.id}`)).body.task.status,
    ).toBe("queued");

    symlinkSync(FAKE_CODEX, codexBin);
    const done = await e2e.server.waitForStatus(task.id, ["done", "failed"], 60_000);
    expect(done.status).toBe("done");
    await note.waitFor({ timeout: 20_000 });
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    await page.context().close();
  }, 180_000);
});
