import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LoopEvent } from "@loop/shared";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, FAKE_CLAUDE, screenshotPath, signedInPage } from "./harness.ts";

// Everything a real run prints reads well: the fake CLIs replay the documented and recorded JSON
// lines of both CLIs (packages/core/test/fixtures/events and real), and the page must show each as
// text with a label, never as JSON.
const e2e = e2eSuite();
const FIXTURES = dirname(FAKE_CLAUDE);
const linesOf = (path: string) => readFileSync(join(FIXTURES, path), "utf8").split("\n").filter(Boolean);
const typeOf = (line: string) => (JSON.parse(line) as { type: string }).type;

// claude: the recorded real lines (their results dropped: a run has one), then one line per
// documented event type, ending on the success result (the error result after it is dropped).
const CLAUDE_LINES = [
  ...linesOf("real/claude-2.1.332-permission-denied.jsonl").filter((l) => typeOf(l) !== "result"),
  ...linesOf("real/claude-2.1.332-rate-limit-warning.jsonl").filter((l) => typeOf(l) !== "result"),
  ...linesOf("events/claude-events.jsonl").slice(0, -1),
];
// codex: the recorded review's items, then every documented item and event up to turn.completed.
const CODEX_LINES = [
  ...linesOf("real/codex-0.171.0-review.jsonl").filter((l) => typeOf(l).startsWith("item.")),
  ...linesOf("events/codex-events.jsonl").slice(2, -2),
];

/** The whole log as the page shows it, through its Copy button (the log is virtualized). */
async function copiedLog(page: Page, agent: Locator): Promise<string> {
  await agent.getByRole("button", { name: "Copy" }).click();
  await agent.getByRole("button", { name: "Copied" }).waitFor();
  return page.evaluate(() => navigator.clipboard.readText());
}

async function searchStatus(log: Locator, name: string, query: string, enters = 0): Promise<string> {
  const search = log.getByRole("searchbox", { name: `Search ${name}` });
  await search.fill(query);
  for (let i = 0; i < enters; i++) await search.press("Enter");
  return (await log.locator(".log-matches").textContent()) ?? "";
}

const outputs = (events: LoopEvent[], agent: "claude" | "codex") =>
  events.flatMap((e) =>
    e.type === "agent.output" && e.iteration === 1 && e.data.agent === agent ? [e.data] : [],
  );

describe("reading a run", () => {
  it("shows every line of both CLIs as labelled text, counts what it shows, renders result.md's table", async () => {
    const task = await e2e.server.fileTask(
      "Reading",
      {
        claude: [{ kind: "replay", lines: CLAUDE_LINES }],
        codex: [{ kind: "replay", lines: CODEX_LINES, text: "STATUS: DONE\nLooks good." }],
      },
      { maxIterations: 1 },
    );
    const events = await e2e.server.eventsUntilFinished(task.id);
    expect(events.at(-1)).toMatchObject({ type: "task.finished", data: { status: "done" } });

    const page = await signedInPage(e2e.browser, e2e.server, { width: 1280, height: 1400 });
    await page
      .context()
      .grantPermissions(["clipboard-read", "clipboard-write"], { origin: e2e.server.origin });
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const it1 = page.locator("section[data-iteration='1']");
    for (const [agent, name] of [
      ["claude", "Claude output, iteration 1"],
      ["codex", "Codex output, iteration 1"],
    ] as const) {
      const panel = it1.locator(`.agent-${agent}`);
      const log = page.getByRole("log", { name });
      await log.waitFor();
      const printed = outputs(events, agent);
      expect(printed.length).toBeGreaterThan(20);
      // Every JSON line the CLI printed has a readable form, and the page shows that, not the JSON
      // (stderr is plain text: codex's banner).
      expect(printed.filter((d) => d.stream === "stdout" && !d.parsed).map((d) => d.line)).toEqual([]);
      const text = await copiedLog(page, panel);
      expect(text).not.toContain('"type":');
      expect(text).not.toContain("[Request interrupted");
      for (const row of text.split("\n")) expect(row.trimStart().startsWith("{"), row).toBe(false);
      expect(await log.textContent()).not.toContain('"type":');

      // The header counts the agent's lines as the gutter numbers them.
      // The replay comes in pieces: the log exists after the first, the count is whole after the last.
      await expect.poll(() => panel.locator(".line-count").textContent()).toBe(`${printed.length} lines`);
      const numbers = (await log.locator(".ln").allTextContents()).filter(Boolean).map(Number);
      expect(Math.max(...numbers)).toBe(printed.length);

      // Search: how many lines match, then which one is current.
      const hits = printed.filter((d) => (d.parsed?.text ?? d.line).toLowerCase().includes("bash")).length;
      expect(hits).toBeGreaterThan(1);
      const box = panel.locator(".log");
      expect(await searchStatus(box, name, "bash")).toBe(`${hits} matches`);
      expect(await searchStatus(box, name, "bash", 1)).toBe(`1 of ${hits}`);
      expect(await searchStatus(box, name, "no-such-text-anywhere")).toBe("no matches");
      await box.getByRole("searchbox", { name: `Search ${name}` }).fill("");
    }

    // Labels: the tool's output and claude's final answer are told apart.
    const claudeLog = page.getByRole("log", { name: "Claude output, iteration 1" });
    const answer = claudeLog.locator(".log-line").filter({ hasText: "All files look fine." });
    expect(await answer.locator(".tag").textContent()).toBe("answer");
    const search = page.getByRole("searchbox", { name: "Search Claude output, iteration 1" });
    await search.fill("total 8");
    await search.press("Enter");
    const toolOutput = claudeLog.locator(".log-line.current");
    await toolOutput.waitFor();
    expect(await toolOutput.locator(".tag").textContent()).toBe("tool output");
    await search.fill("");
    const tags = new Set(await page.locator(".log-line .tag").allTextContents());
    for (const label of ["message", "tool", "thinking", "system", "answer", "command", "usage"])
      expect(tags, label).toContain(label);
    await page.screenshot({ path: screenshotPath("reading-logs.png"), fullPage: true });

    // result.md's iteration table is a table.
    const files = page.getByRole("list", { name: "Artifact files" });
    await files.getByRole("button", { name: "result.md" }).click();
    const viewer = page.getByRole("region", { name: "Artifact result.md" });
    const table = viewer.locator(".markdown table").first();
    await table.waitFor();
    expect(await table.locator("th").allTextContents()).toContain("Iteration");
    expect(await viewer.locator(".markdown").textContent()).not.toContain("|---|");
    await page.context().close();
  });

  it("labels a cancelled run cancelled, not failed", async () => {
    const task = await e2e.server.fileTask("Cancel me", { claude: [{ kind: "hang" }] });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    const claude = page.locator("section[data-iteration='1'] .agent-claude");
    await claude.locator(".agent-state", { hasText: "running…" }).waitFor();
    const finished = e2e.server.eventsUntilFinished(task.id);
    expect((await e2e.server.api(`/api/tasks/${task.id}/cancel`, { method: "POST" })).status).toBeLessThan(
      300,
    );
    expect((await finished).at(-1)).toMatchObject({ data: { status: "cancelled" } });

    await claude.locator(".agent-state", { hasText: "cancelled" }).waitFor();
    const head = page.locator("section[data-iteration='1'] .iteration-head");
    await head.getByText("cancelled", { exact: true }).waitFor();
    const log = page.getByRole("log", { name: "Claude output, iteration 1" });
    await log.getByText("claude was interrupted: the run was stopped").waitFor();
    await log.getByText(/^■ claude was cancelled after/).waitFor();
    const text = (await log.textContent()) ?? "";
    expect(text).not.toContain("failed");
    expect(text).not.toContain("exit code 0");
    expect(text).not.toContain("[Request interrupted");
    await page.context().close();
  });

  it("keeps the queue counter in a phone-sized header, and says each form problem once in the form's words", async () => {
    const page = await signedInPage(e2e.browser, e2e.server, { width: 390, height: 844 });
    const counter = page.getByTitle("Tasks running and waiting");
    await counter.waitFor();
    expect(await counter.isVisible()).toBe(true);
    expect(await counter.textContent()).toMatch(/^\d+ running · \d+\/\d+ queued$/);
    const box = (await counter.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.getByLabel("Title", { exact: true }).fill("");
    await page.getByLabel("Prompt", { exact: true }).fill("Do it");
    await page.getByLabel("Working directory", { exact: true }).fill("relative/dir");
    await page.getByRole("button", { name: "Start" }).click();
    const form = page.getByRole("form", { name: "New task" });
    await form.getByText("Title must not be empty").waitFor();
    await form.getByText("Working directory must be an absolute path (starting with /)").waitFor();
    const said = (await form.textContent()) ?? "";
    expect(said.match(/must not be empty/g)).toHaveLength(1);
    expect(said.match(/absolute path \(/g)).toHaveLength(1);
    expect(said).not.toMatch(/workingDir|maxIterations|\btitle:/);
    await page.screenshot({ path: screenshotPath("phone-form.png"), fullPage: true });
    await page.context().close();
  });
});
