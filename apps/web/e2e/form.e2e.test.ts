import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, signedInPage, startServer } from "./harness.ts";

const e2e = e2eSuite({ LOOP_MAX_QUEUE_DEPTH: "1" });

/** The error text the page shows for a field: the element its aria-describedby points at. */
async function fieldError(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute("aria-invalid")).toBe("true");
  const ids = (await input.getAttribute("aria-describedby"))?.split(" ") ?? [];
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).innerText()));
  return texts.join(" | ");
}

describe("the new task form", () => {
  it("shows the server's validation errors next to the fields they are about", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByLabel("Title", { exact: true }).fill("   ");
    await page.getByLabel("Prompt", { exact: true }).fill("Do it");
    await page.getByLabel("Working directory", { exact: true }).fill("relative/dir");
    await page.getByLabel("Max iterations", { exact: true }).fill("500");
    await page.getByRole("button", { name: "Start" }).click();

    // In the form's words, each said once.
    expect(await fieldError(page, "Title")).toBe("Title must not be empty");
    expect(await fieldError(page, "Working directory")).toBe(
      "Working directory must be an absolute path (starting with /) | Absolute path of the repository the agents work in.",
    );
    expect(await fieldError(page, "Max iterations")).toBe("Max iterations must be at most 100");
    expect(await page.getByLabel("Prompt", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    expect(page.url()).toBe(`${e2e.server.origin}/`);

    // A directory that does not exist: invalid_working_dir, shown at the working directory.
    await page.getByLabel("Title", { exact: true }).fill("A title");
    await page.getByLabel("Max iterations", { exact: true }).fill("");
    await page.getByLabel("Working directory", { exact: true }).fill("/no/such/dir");
    // Keyboard submit: Ctrl+Enter from inside the form.
    await page.getByLabel("Prompt", { exact: true }).press("Control+Enter");
    await expect.poll(() => fieldError(page, "Working directory")).toMatch(/\/no\/such\/dir does not exist/);
    expect(await page.getByLabel("Title", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    await page.context().close();
  });

  it("shows the default iteration cap and says plainly when the queue is full", async () => {
    const page = await signedInPage(e2e.browser, e2e.server);
    // GET /api/health probes both CLIs first: on a loaded machine that takes more than poll's 1 s.
    await expect
      .poll(() => page.getByLabel("Max iterations", { exact: true }).getAttribute("placeholder"), {
        timeout: 15_000,
      })
      .toBe("10 (default)");
    // One task hangs in claude (running), one waits (the queue's depth is 1): the next gets 429.
    const hang = e2e.server.workdir({ claude: [{ kind: "hang" }] });
    for (const title of ["hangs", "waits"]) {
      const r = await e2e.server.api("/api/tasks", {
        method: "POST",
        body: { title, prompt: "p", workingDir: hang },
      });
      expect(r.status).toBe(201);
    }
    await page.getByLabel("Title", { exact: true }).fill("One too many");
    await page.getByLabel("Prompt", { exact: true }).fill("p");
    await page.getByLabel("Working directory", { exact: true }).fill(hang);
    await page.getByRole("button", { name: "Start" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "queue is full" });
    await alert.waitFor();
    const said = await alert.innerText();
    expect(said).toMatch(/Wait for one to start, or cancel one, then try again\.$/);
    expect(said.match(/queue is full/gi)).toHaveLength(1);

    // Cancelling from the task list's task page frees the queue.
    const list = await e2e.server.api<{ tasks: { id: string }[] }>("/api/tasks");
    for (const t of list.body.tasks) await e2e.server.api(`/api/tasks/${t.id}/cancel`, { method: "POST" });
    await page.context().close();
  });
});

describe("getting in", () => {
  it("the start-up URL signs in without keeping the token; the page runs under its CSP", async () => {
    const context = await e2e.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(e2e.server.url);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    // The server answered with a redirect: the token never reached the address bar or history.
    expect(page.url()).toBe(`${e2e.server.origin}/`);
    expect(violations).toEqual([]);
    await context.close();
  });

  it("a wrong token gets a page that says how to get in, whose form signs in", async () => {
    const context = await e2e.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const res = await page.goto(`${e2e.server.origin}/?token=not-the-token`);
    expect(res?.status()).toBe(401);
    await page.getByRole("heading", { name: "This token does not open loop" }).waitFor();
    await page.getByLabel("Token").fill(e2e.server.token);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "New task" }).waitFor();
    expect(page.url()).toBe(`${e2e.server.origin}/`);
    await context.close();
  });

  it("without the token shows how to get in, and a pasted token signs in", async () => {
    const context = await e2e.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${e2e.server.origin}/`);
    await page.getByRole("heading", { name: "Open loop with its token" }).waitFor();
    expect(await page.getByRole("main").innerText()).toContain("pnpm start");
    await page.getByLabel("Token", { exact: true }).fill(e2e.server.url);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "New task" }).waitFor();
    // The token does not stay in the address bar.
    expect(page.url()).toBe(`${e2e.server.origin}/`);
    await context.close();
  });
});

describe("the health banner", () => {
  it("names a missing CLI and its configured path before anyone files a task", async () => {
    const broken = await startServer({ LOOP_CODEX_BIN: "/opt/nowhere/codex" });
    try {
      const page = await signedInPage(e2e.browser, broken);
      const banner = page.getByRole("alert", { name: "Agent CLI problems" });
      await banner.waitFor();
      const text = await banner.innerText();
      expect(text).toContain('codex was not found at "/opt/nowhere/codex"');
      expect(text).toContain("LOOP_CODEX_BIN");
      expect(text).not.toContain("claude");
      await page.context().close();
    } finally {
      await broken.stop();
    }
  });
});
