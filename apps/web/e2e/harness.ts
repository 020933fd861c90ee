import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoopEvent, Task } from "@loop/shared";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURES = join(ROOT, "packages/core/test/fixtures");
export const FAKE_CLAUDE = join(FIXTURES, "fake-claude.mjs");
export const FAKE_CODEX = join(FIXTURES, "fake-codex.mjs");
export const RESULTS = join(ROOT, "test-results");

export const CHROMIUM = process.env.LOOP_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface LoopServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The URL the server printed, with the token: opening it signs the browser in. */
  url: string;
  token: string;
  dir: string;
  /** A fresh working directory holding a fake-CLI scenario. */
  workdir(scenario?: object): string;
  /** A JSON API call with the bearer token. */
  api<T = unknown>(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  /** Files a task over the API in a fresh working directory holding `scenario`; throws unless 201. */
  fileTask(
    title: string,
    scenario: object,
    opts?: { prompt?: string; maxIterations?: number },
  ): Promise<Task>;
  /** Polls GET /api/tasks/:id until the task is in one of `statuses`. */
  waitForStatus(taskId: string, statuses: readonly string[], timeoutMs?: number): Promise<Task>;
  /** Reads a task's event stream until its task.finished event (or the timeout). */
  eventsUntilFinished(taskId: string, timeoutMs?: number): Promise<LoopEvent[]>;
  /** Every stored event of a task: a one-off replay (`?once=1`), no stream left open. */
  storedEvents(taskId: string): Promise<LoopEvent[]>;
  /**
   * Stops the server (SIGTERM, as a person would; SIGKILL for a crash) and starts it again on the same
   * port and database.
   */
  restart(whileDown?: () => Promise<void>, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the real server (apps/server/src/server.ts) as `pnpm start` would, on a free port, with the fake CLIs. */
export async function startServer(env: Record<string, string> = {}): Promise<LoopServer> {
  const dir = mkdtempSync(join(tmpdir(), "loop-e2e-"));
  // LOOP_TOKEN: "" in `env` lets the server make (and keep) its own: the printed URL then tells it.
  let token = `e2e-token-${Math.random().toString(36).slice(2)}-0123456789`;
  const spawnServer = async (port: string): Promise<{ child: ChildProcess; url: string }> => {
    const child: ChildProcess = spawn(process.execPath, [join(ROOT, "apps/server/src/server.ts")], {
      cwd: dir,
      env: {
        ...process.env,
        PORT: port,
        LOOP_TOKEN: token,
        LOOP_DB_PATH: join(dir, "loop.db"),
        LOOP_ARTIFACTS_DIR: join(dir, "loops"),
        LOOP_CLAUDE_BIN: FAKE_CLAUDE,
        LOOP_CODEX_BIN: FAKE_CODEX,
        LOOP_KILL_GRACE_MS: "500",
        LOG_LEVEL: "warn",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${stderr}`)), 20_000);
      child.stdout?.on("data", (d) => {
        out += String(d);
        const m = /loop is running: (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${out}\n${stderr}`));
      });
    });
    return { child, url };
  };
  let { child, url } = await spawnServer("0");
  token = new URL(url).searchParams.get("token") ?? token;
  const stopChild = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    }
  };
  const origin = new URL(url).origin;
  let n = 0;

  const workdir = (scenario?: object): string => {
    const wd = join(dir, `work-${++n}`);
    mkdirSync(wd, { recursive: true });
    if (scenario) writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario));
    return wd;
  };

  const api: LoopServer["api"] = async (path, init = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(origin + path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text) as never,
    };
  };

  return {
    origin,
    url,
    token,
    dir,
    api,
    workdir,
    async fileTask(title, scenario, opts = {}) {
      const r = await api<{ task: Task }>("/api/tasks", {
        method: "POST",
        body: {
          title,
          prompt: opts.prompt ?? "Make it work",
          workingDir: workdir(scenario),
          maxIterations: opts.maxIterations ?? 3,
        },
      });
      if (r.status !== 201)
        throw new Error(`POST /api/tasks answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body.task;
    },
    async waitForStatus(taskId, statuses, timeoutMs = 30_000) {
      const start = Date.now();
      for (;;) {
        const r = await api<{ task: Task }>(`/api/tasks/${taskId}`);
        if (statuses.includes(r.body.task.status)) return r.body.task;
        if (Date.now() - start > timeoutMs)
          throw new Error(`task ${taskId} is still ${r.body.task.status}: ${r.body.task.statusReason}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async storedEvents(taskId) {
      const res = await fetch(`${origin}/api/tasks/${taskId}/events?once=1`, {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      });
      if (res.status !== 200) throw new Error(`replay of ${taskId}: HTTP ${res.status}`);
      return (
        (await res.text())
          .split("\n\n")
          // Stored events are unnamed frames; `event: end` closes the replay.
          .filter((block) => !block.split("\n").some((l) => l.startsWith("event:")))
          .map((block) =>
            block
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trimStart())
              .join("\n"),
          )
          .filter((data) => data !== "")
          .map((data) => JSON.parse(data) as LoopEvent)
      );
    },
    async eventsUntilFinished(taskId, timeoutMs = 60_000) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), timeoutMs);
      const res = await fetch(`${origin}/api/tasks/${taskId}/events`, {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
        signal: ac.signal,
      });
      const events: LoopEvent[] = [];
      const decoder = new TextDecoder();
      let buf = "";
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let end = buf.indexOf("\n\n");
          while (end >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trimStart())
              .join("\n");
            if (data) {
              const e = JSON.parse(data) as LoopEvent;
              events.push(e);
              if (e.type === "task.finished") {
                ac.abort();
                return events;
              }
            }
            end = buf.indexOf("\n\n");
          }
        }
      } catch (err) {
        if (!ac.signal.aborted || events.at(-1)?.type !== "task.finished") throw err;
      } finally {
        clearTimeout(timer);
      }
      return events;
    },
    async restart(whileDown, signal) {
      await stopChild(signal);
      await whileDown?.();
      ({ child, url } = await spawnServer(new URL(origin).port));
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One server (with `env`) and one browser for a test file: started before its tests, stopped after. */
export function e2eSuite(env: Record<string, string> = {}): { server: LoopServer; browser: Browser } {
  const ctx = {} as { server: LoopServer; browser: Browser };
  beforeAll(async () => {
    [ctx.server, ctx.browser] = await Promise.all([startServer(env), launchBrowser()]);
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
  });
  return ctx;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page at 1280×800, signed in by opening the URL the server printed. */
export async function signedInPage(
  browser: Browser,
  server: LoopServer,
  size = { width: 1280, height: 800 },
): Promise<Page> {
  const context = await browser.newContext({ viewport: size });
  const page = await context.newPage();
  await page.goto(server.url);
  return page;
}

/** Claude writes a.txt, the review asks for b.txt, Claude writes it, the review says DONE. */
export const TWO_ITERATIONS_OF_FILES = {
  claude: [
    { kind: "ok", text: "one", write: { path: "a.txt", content: "a\n" } },
    { kind: "ok", text: "two", write: { path: "b.txt", content: "b\n" } },
  ],
  codex: [
    { kind: "review", text: "STATUS: ISSUES_FOUND\n- Add b.txt too." },
    { kind: "review", text: "STATUS: DONE" },
  ],
};

/** Fills the new-task form's title, prompt and working directory (the page shows the form). */
export async function fillNewTask(
  page: Page,
  task: { title: string; prompt: string; workingDir: string },
): Promise<void> {
  await page.getByLabel("Title").fill(task.title);
  await page.getByLabel("Prompt").fill(task.prompt);
  await page.getByLabel("Working directory").fill(task.workingDir);
}

export function screenshotPath(name: string): string {
  mkdirSync(RESULTS, { recursive: true });
  return join(RESULTS, name);
}
