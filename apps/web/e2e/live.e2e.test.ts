import type { Iteration, LoopEvent } from "@loop/shared";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { e2eSuite, fillNewTask, screenshotPath, signedInPage } from "./harness.ts";

const e2e = e2eSuite();

const LINES = 120;

/** The stored output lines of one agent in one iteration, as the server has them. */
const storedLines = (events: LoopEvent[], n: number, agent: "claude" | "codex") =>
  events.filter((e) => e.type === "agent.output" && e.iteration === n && e.data.agent === agent).length;

/** How many lines of the log match `query`, as its search box reports. */
async function countMatches(page: Page, logName: string, query: string): Promise<string> {
  const search = page.getByRole("searchbox", { name: `Search ${logName}` });
  await search.fill(query);
  const status = page.locator(".log").filter({ has: search }).locator(".log-matches");
  await status.waitFor();
  return (await status.textContent()) ?? "";
}

describe("a task filed in the browser", () => {
  it("runs live to done, keeps every line across a reload mid-run, and opens its artifacts", async () => {
    const wd = e2e.server.workdir({
      claude: [{ kind: "slow", lines: LINES, intervalMs: 40 }],
      codex: [
        { kind: "review", text: "STATUS: ISSUES_FOUND\n- Add a test for the empty input." },
        { kind: "review", text: "STATUS: DONE\nLooks good." },
      ],
    });
    const page = await signedInPage(e2e.browser, e2e.server);
    await page.getByRole("heading", { name: "New task" }).waitFor();
    await fillNewTask(page, {
      title: "Live run",
      prompt: "Print slowly, then fix what the review finds.",
      workingDir: wd,
    });
    await page.getByRole("button", { name: "Start" }).click();

    // Start opens the new task's page.
    await page.waitForURL((u) => u.pathname.startsWith("/tasks/"));
    await page.getByRole("heading", { level: 1, name: "Live run" }).waitFor();
    const taskId = page.url().split("/tasks/")[1]!;
    const finished = e2e.server.eventsUntilFinished(taskId);

    // Lines arrive live, while the task runs (the log follows the tail, so count rather than look).
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("running", { exact: true }).waitFor();
    await page.waitForFunction(
      (sel) => Number.parseInt(document.querySelector(sel)?.textContent?.replace(/,/g, "") ?? "0", 10) >= 10,
      "section[data-iteration='1'] .agent-claude .line-count",
    );

    // Reload mid-run: the page replays what it missed and goes on live.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Live run" }).waitFor();
    const events = await finished;
    await header.getByText("done", { exact: true }).waitFor();
    expect(await header.textContent()).toContain("Codex reported STATUS: DONE in iteration 2");

    // Iteration 2 is the latest and open; iteration 1's claude log is one click away.
    const it1 = page.locator("section[data-iteration='1']");
    const claude1 = it1.getByRole("button", { name: /Claude/ });
    if ((await claude1.getAttribute("aria-expanded")) !== "true") await claude1.click();
    for (const n of [1, 2]) {
      const name = `Claude output, iteration ${n}`;
      const log = page.getByRole("log", { name });
      await log.waitFor();
      const count = page.locator(`section[data-iteration='${n}'] .agent-claude .line-count`);
      expect(await count.textContent()).toBe(`${storedLines(events, n, "claude")} lines`);
      // Each printed line exactly once: a lost line or a doubled replay would change the count.
      expect(await countMatches(page, name, "slow line")).toBe(`${LINES} matches`);
      expect(await countMatches(page, name, `slow line ${LINES}`)).toBe("1 match");
    }
    // Parsed lines read as text; the raw JSON line is one toggle away; Copy copies the whole log.
    const log2 = page.getByRole("log", { name: "Claude output, iteration 2" });
    const it2 = page.locator("section[data-iteration='2'] .agent-claude");
    await page.getByRole("searchbox", { name: "Search Claude output, iteration 2" }).fill("");
    expect(await log2.textContent()).toContain(`slow line ${LINES}`);
    expect(await log2.textContent()).not.toContain('"type":"assistant"');
    await it2.getByRole("button", { name: "Raw" }).click();
    await log2.getByText('"type":"result"').waitFor();
    await it2.getByRole("button", { name: "Raw" }).click();
    await page
      .context()
      .grantPermissions(["clipboard-read", "clipboard-write"], { origin: e2e.server.origin });
    await it2.getByRole("button", { name: "Copy" }).click();
    await it2.getByRole("button", { name: "Copied" }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    for (let i = 1; i <= LINES; i++) expect(copied).toContain(`slow line ${i}\n`);

    // The verdicts are shown per iteration, and the size of the prompt each agent was sent.
    expect(await it1.textContent()).toContain("ISSUES_FOUND");
    const detail = await e2e.server.api<{ iterations: Iteration[] }>(`/api/tasks/${taskId}`);
    const bytes = detail.body.iterations[0]!.claudePromptBytes!;
    expect(bytes).toBeGreaterThan(0);
    expect(await it1.locator(".agent-claude .prompt-bytes").textContent()).toBe(
      `prompt ${bytes.toLocaleString("en-US")} bytes`,
    );
    await page.screenshot({ path: screenshotPath("task-page-done.png"), fullPage: true });

    // Artifacts: the list, a rendered file, and its raw view.
    const files = page.getByRole("list", { name: "Artifact files" });
    for (const name of ["task.md", "001-claude-prompt.md", "002-codex-output.md", "result.md"]) {
      await files.getByRole("button", { name }).waitFor();
    }
    await files.getByRole("button", { name: "002-codex-output.md" }).click();
    const viewer = page.getByRole("region", { name: "Artifact 002-codex-output.md" });
    await viewer.getByText("Looks good.").waitFor();
    await viewer.getByRole("button", { name: "Raw" }).click();
    expect(await viewer.locator("pre.artifact-raw").textContent()).toContain("STATUS: DONE");
    await page.context().close();
  });
});

describe("the growing line", () => {
  it("shows the text claude is writing as it grows, in a tab the leader relays to (its stream asks for partial=1)", async () => {
    const text = `Growing answer ${Array.from({ length: 60 }, (_, i) => `word${i + 1}`).join(" ")} end.`;
    // The task waits until both tabs show it: partial text is live only, never replayed.
    await e2e.server.api("/api/queue/pause", { method: "POST" });
    const task = await e2e.server.fileTask(
      "Growing line",
      {
        claude: [{ kind: "ok", text, partialPieces: 8, partialDelayMs: 400 }],
        codex: [{ kind: "review", text: "STATUS: DONE\nFine." }],
      },
      { maxIterations: 1 },
    );
    // Two tabs of one browser: the first holds the stream, the second shows the task from the relay.
    const context = await e2e.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const streams = new Map<string, URL[]>([
      ["leader", []],
      ["follower", []],
    ]);
    const tab = async (name: string) => {
      const p = await context.newPage();
      p.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/api/events") streams.get(name)!.push(u);
      });
      return p;
    };
    const leader = await tab("leader");
    await leader.goto(e2e.server.url);
    await expect.poll(() => streams.get("leader")!.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const page = await tab("follower");
    await page.goto(`${e2e.server.origin}/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Growing line" }).waitFor();
    await expect
      .poll(() => streams.get("leader")!.some((u) => u.searchParams.get("output")?.includes(task.id)))
      .toBe(true);
    await e2e.server.api("/api/queue/resume", { method: "POST" });

    // The line under claude's log grows: several different tails of the message, each longer.
    const live = page.locator("section[data-iteration='1'] .agent-claude .live-text");
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const shown = await live.textContent({ timeout: 50 }).catch(() => null);
          if (shown?.startsWith("Growing answer")) seen.add(shown.replace("▍", ""));
          return seen.size;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(3);
    const growing = [...seen].sort((a, b) => a.length - b.length);
    for (const s of growing) expect(text.startsWith(s), s).toBe(true);
    expect(growing.at(-1)!.length).toBeGreaterThan(growing[0]!.length);

    // Done: the growing line is gone and the complete message is one stored line of the log.
    const header = page.getByRole("banner").filter({ has: page.getByRole("heading", { level: 1 }) });
    await header.getByText("done", { exact: true }).waitFor({ timeout: 30_000 });
    await live.waitFor({ state: "detached" });
    expect(await page.getByRole("log", { name: "Claude output, iteration 1" }).textContent()).toContain(text);
    // Only the leader opened the stream, and every time with partial=1.
    expect(streams.get("follower")).toEqual([]);
    expect(streams.get("leader")!.every((u) => u.searchParams.get("partial") === "1")).toBe(true);
    await context.close();
  });
});
