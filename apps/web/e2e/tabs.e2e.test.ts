import { execFileSync } from "node:child_process";
import type { LoopEvent } from "@loop/shared";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { e2eSuite } from "./harness.ts";

const e2e = e2eSuite();
const DONE = { claude: [{ kind: "ok", text: "done" }], codex: [{ kind: "review", text: "STATUS: DONE" }] };
const slow = (lines: number, intervalMs: number) => ({
  claude: [{ kind: "slow", lines, intervalMs }],
  codex: [{ kind: "review", text: "STATUS: DONE\nFine." }],
});

/** Open event streams, as the server counts them (GET /api/health's eventStreams). */
const streams = async () => (await e2e.server.api<{ eventStreams: number }>("/api/health")).body.eventStreams;
/** Of them, the live ones: not a task page's one-off history replay (?once=1). */
const liveStreams = async () =>
  (await e2e.server.api<{ liveEventStreams: number }>("/api/health")).body.liveEventStreams;

/** Established TCP connections to the server's port right now (both directions seen from the server). */
function sockets(): number {
  const port = new URL(e2e.server.origin).port;
  const out = execFileSync("ss", ["-Htn", "state", "established", `( sport = :${port} )`], {
    encoding: "utf8",
  });
  return out.split("\n").filter((l) => l.trim()).length;
}

async function until<T>(fn: () => Promise<T | false | null | undefined>, what: string, ms = 30_000) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls the server's live-stream count for as long as a test runs; `max` is the most seen at once. */
function watchStreams() {
  let max = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      // A failed test stops the server under the poller: that is not this poller's failure.
      max = Math.max(max, await liveStreams().catch(() => 0));
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    get max() {
      return max;
    },
    async stop() {
      stop = true;
      await done;
    },
  };
}

/** Contexts a test opened: closed after it, so a failed step leaves no tab (nor stream) to the next. */
const contexts: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function signedInContext(): Promise<BrowserContext> {
  const context = await e2e.browser.newContext({ viewport: { width: 1000, height: 700 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(e2e.server.url);
  await page.getByRole("heading", { name: "New task" }).waitFor();
  await page.close();
  return context;
}

/** The line count a task page shows for claude in iteration 1. */
const claudeLines = (page: Page) =>
  page.evaluate(() =>
    Number.parseInt(
      document
        .querySelector("section[data-iteration='1'] .agent-claude .line-count")
        ?.textContent?.replace(/,/g, "") ?? "0",
      10,
    ),
  );

const storedClaudeLines = (events: LoopEvent[]) =>
  events.filter((e) => e.type === "agent.output" && e.iteration === 1 && e.data.agent === "claude").length;

const loaded = async (page: Page, title: string, home: boolean) => {
  if (home)
    await page
      .getByRole("list", { name: "Tasks, newest first" })
      .getByRole("link", { name: title })
      .waitFor();
  else await page.getByRole("heading", { level: 1, name: title }).waitFor();
};

describe("the tabs of one browser", () => {
  it("share one event stream: 8 tabs load, update live and reload at once, one stream at rest", async () => {
    const context = await signedInContext();
    const before = await e2e.server.fileTask("Finished before", DONE, { maxIterations: 1 });
    await e2e.server.waitForStatus(before.id, ["done"]);
    const live = await e2e.server.fileTask("Live in tabs", slow(150, 40), { maxIterations: 1 });
    const next = await e2e.server.fileTask("Waits its turn", DONE, { maxIterations: 1 });
    const o = e2e.server.origin;
    const tabs: Array<{ url: string; title: string; home: boolean }> = [
      ...Array.from({ length: 4 }, () => ({ url: `${o}/`, title: "Live in tabs", home: true })),
      { url: `${o}/tasks/${live.id}`, title: "Live in tabs", home: false },
      { url: `${o}/tasks/${live.id}`, title: "Live in tabs", home: false },
      { url: `${o}/tasks/${before.id}`, title: "Finished before", home: false },
      { url: `${o}/tasks/${next.id}`, title: "Waits its turn", home: false },
    ];
    // From here until watch.stop() the only streams the server has are the browser's (the test
    // polls REST and reads the stored events afterwards).
    const watch = watchStreams();
    const pages = await Promise.all(
      tabs.map(async (t) => {
        const page = await context.newPage();
        await page.goto(t.url);
        return page;
      }),
    );
    await Promise.all(pages.map((p, i) => loaded(p, tabs[i]!.title, tabs[i]!.home)));

    // Live: both pages of the running task count lines as they come.
    for (const p of [pages[4]!, pages[5]!])
      await until(async () => (await claudeLines(p)) >= 10, "live lines");
    await until(async () => (await streams()) === 1, "one stream at rest");

    // Everyone reloads at once: every tab loads again and goes on live.
    await Promise.all(pages.map((p) => p.reload()));
    await Promise.all(pages.map((p, i) => loaded(p, tabs[i]!.title, tabs[i]!.home)));
    await e2e.server.waitForStatus(live.id, ["done"], 60_000);
    for (const p of [pages[4]!, pages[5]!])
      await p.getByRole("banner").getByText("done", { exact: true }).first().waitFor();
    // The home pages and the queued task's page follow the next task to its end (task.updated rows).
    await e2e.server.waitForStatus(next.id, ["done"]);
    for (const p of pages.slice(0, 4)) {
      const row = p.locator(".task-row").filter({ has: p.getByRole("link", { name: "Waits its turn" }) });
      await row.locator('.badge[data-status="done"]').waitFor();
    }
    await pages[7]!.getByRole("banner").getByText("done", { exact: true }).first().waitFor();

    await until(async () => (await streams()) === 1, "one stream at rest");
    await watch.stop();
    // The leader's live stream, at times with a resubscription's next one beside it (each task
    // page's history comes from a one-off replay, not counted here): never one per tab.
    expect(watch.max).toBeLessThanOrEqual(2);
    // At rest the browser holds one stream; idle keep-alive sockets of REST reads block nothing.
    const open = sockets();
    console.log(
      `8 tabs: at most ${watch.max} live streams at once, 1 at rest; ${open} TCP sockets established`,
    );

    // Every line the server stored, each once, in both pages of the task.
    const want = storedClaudeLines(await e2e.server.storedEvents(live.id));
    expect(want).toBeGreaterThanOrEqual(150);
    for (const p of [pages[4]!, pages[5]!])
      await until(async () => (await claudeLines(p)) === want, `${want} lines, each once`);
    await context.close();
    await until(async () => (await streams()) === 0, "no stream after the browser closed");
  }, 240_000);

  it("carries on when the leader tab closes mid-run: every line exactly once in the others", async () => {
    const context = await signedInContext();
    // The first tab takes the lock and opens the stream; the others follow it.
    const leader = await context.newPage();
    await leader.goto(`${e2e.server.origin}/`);
    await until(async () => (await streams()) === 1, "the leader's stream");
    const task = await e2e.server.fileTask("Handed over", slow(200, 30), { maxIterations: 1 });
    const followers = await Promise.all(
      [0, 1].map(async () => {
        const p = await context.newPage();
        await p.goto(`${e2e.server.origin}/tasks/${task.id}`);
        await p.getByRole("heading", { level: 1, name: "Handed over" }).waitFor();
        return p;
      }),
    );
    for (const p of followers) await until(async () => (await claudeLines(p)) >= 20, "live lines");
    const watch = watchStreams();
    await leader.close();
    await e2e.server.waitForStatus(task.id, ["done"], 60_000);
    for (const p of followers)
      await p.getByRole("banner").getByText("done", { exact: true }).first().waitFor();
    await until(async () => (await streams()) === 1, "the new leader's stream");
    await watch.stop();
    expect(watch.max).toBeLessThanOrEqual(2);
    const want = storedClaudeLines(await e2e.server.storedEvents(task.id));
    expect(want).toBeGreaterThanOrEqual(200);
    for (const p of followers) await until(async () => (await claudeLines(p)) === want, `${want} lines`);
  }, 180_000);

  it("notifies once across tabs, only for tasks that end after the page opened, and counts them in the title", async () => {
    const history = await e2e.server.fileTask("Old news", DONE, { maxIterations: 1 });
    await e2e.server.waitForStatus(history.id, ["done"]);
    const context = await signedInContext();
    const shown: string[] = [];
    await context.exposeBinding("__notified", (_src, title: string) => {
      shown.push(title);
    });
    await context.addInitScript(() => {
      const w = window as unknown as { __notified(t: string): void; Notification: unknown };
      class Recorded {
        static permission = "granted";
        static requestPermission = async () => "granted";
        onclick: (() => void) | null = null;
        constructor(title: string) {
          w.__notified(title);
        }
      }
      w.Notification = Recorded;
    });
    const tabs = await Promise.all(
      [0, 1].map(async () => {
        const p = await context.newPage();
        await p.goto(`${e2e.server.origin}/`);
        await loaded(p, "Old news", true);
        return p;
      }),
    );
    for (const p of tabs) expect(await p.title()).toBe("loop");
    await e2e.server.fileTask("Fresh one", DONE, { maxIterations: 1 });
    for (const p of tabs) await p.waitForFunction(() => document.title === "(1) loop");
    const second = await e2e.server.fileTask("Fresh two", DONE, { maxIterations: 1 });
    for (const p of tabs) await p.waitForFunction(() => document.title === "(2) loop");
    await e2e.server.waitForStatus(second.id, ["done"]);
    await until(async () => shown.length >= 2, "two notifications");
    // Events are relayed in order: had "Fresh one" been notified twice, it would be in by now.
    expect(shown).toEqual(["Fresh one: done", "Fresh two: done"]);
    await context.close();
  });
});

describe("finding tasks", () => {
  it("filters the list by status, searches titles, links a retry to its origin, keeps the counter at 390 px", async () => {
    const a = await e2e.server.fileTask("Alpha search target", DONE, { maxIterations: 1 });
    await e2e.server.waitForStatus(a.id, ["done"]);
    const retry = await e2e.server.api<{ task: { id: string } }>(`/api/tasks/${a.id}/retry`, {
      method: "POST",
    });
    expect(retry.status).toBe(201);
    await e2e.server.waitForStatus(retry.body.task.id, ["done"]);
    const context = await e2e.browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await page.goto(e2e.server.url);
    const list = page.getByRole("list", { name: "Tasks, newest first" });
    await list.getByRole("link", { name: "Fresh one" }).waitFor();

    await page.getByRole("searchbox", { name: "Search tasks" }).fill("alpha SEARCH");
    await until(
      async () => (await list.getByRole("link", { name: "Fresh one" }).count()) === 0,
      "the search",
    );
    const rows = list.locator(".task-row");
    expect(await rows.count()).toBe(2);
    expect(await rows.getByRole("link", { name: "Alpha search target" }).count()).toBe(2);

    await page.getByRole("searchbox", { name: "Search tasks" }).fill("");
    await page.getByRole("combobox", { name: "Status" }).selectOption("done");
    await list.getByRole("link", { name: "Fresh one" }).waitFor();
    for (const s of await list
      .locator(".badge")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-status"))))
      expect(s).toBe("done");
    await page.getByRole("combobox", { name: "Status" }).selectOption("queued");
    await page.getByText("No tasks match with status queued.").waitFor();
    await page.getByRole("combobox", { name: "Status" }).selectOption("");

    // The retry's row links to the task it retried.
    const retryRow = list.locator(".task-row").filter({ hasText: "Retry of" });
    await retryRow.getByRole("link", { name: "an earlier task" }).click();
    await page.waitForURL(`**/tasks/${a.id}`);
    await page.getByRole("heading", { level: 1, name: "Alpha search target" }).waitFor();

    // On a phone-sized window the running/queued counter is still on screen.
    const counter = page.getByTitle("Tasks running and waiting");
    await counter.waitFor();
    const box = await counter.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await context.close();
  });
});
