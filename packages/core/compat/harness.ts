import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Iteration, LoopEvent, Task } from "@loop/shared";
import { afterAll, afterEach, beforeAll, onTestFinished } from "vitest";
import { realClis } from "./clis.ts";
import { type ModelServer, startModelServer } from "./model-server.ts";

const SERVER = fileURLToPath(new URL("../../../apps/server/src/server.ts", import.meta.url));
const TOKEN = "compat-token-0123456789abcdef";

export interface LoopOptions {
  /** Extra environment for loop's server (LOOP_* settings) and so for the CLIs it starts. */
  env?: Record<string, string>;
  /**
   * How claude authenticates: "api_key" (ANTHROPIC_API_KEY, the default) or "subscription"
   * (CLAUDE_CODE_OAUTH_TOKEN: claude then reads the subscription's rate-limit headers).
   */
  claudeAuth?: "api_key" | "subscription";
  /** Extra lines for the codex model provider section of CODEX_HOME/config.toml. */
  codexProvider?: Record<string, string | number>;
}

export interface TaskDetail {
  task: Task;
  iterations: Iteration[];
}

export interface LoopUnderTest {
  /** http://127.0.0.1:<port> of loop's server. */
  url: string;
  model: ModelServer;
  clis: ReturnType<typeof realClis>;
  /** The throwaway directory holding HOME, the CLI config dirs, the DB and the artifacts. */
  dir: string;
  /** The environment the server (and every CLI it starts) runs with. */
  env: Record<string, string>;
  api<T = unknown>(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  /** A fresh working directory; `git: true` makes it a git repository with one commit. */
  workdir(opts?: { git?: boolean; files?: Record<string, string> }): string;
  createTask(body: {
    title?: string;
    prompt: string;
    workingDir: string;
    maxIterations?: number;
    maxCostUsd?: number;
    checkCommand?: string;
    allowedCommands?: string[];
    worker?: "claude" | "codex";
    reviewer?: "claude" | "codex";
    continueSession?: boolean;
  }): Promise<Task>;
  /** Polls GET /api/tasks/:id until `done(task)`; throws with the task's state on timeout. */
  waitForTask(id: string, done: (t: Task) => boolean, timeoutMs?: number): Promise<TaskDetail>;
  /** Reads the task's event stream from the start until `until` holds for an event (default: task.finished). */
  events(id: string, until?: (e: LoopEvent) => boolean, timeoutMs?: number): Promise<LoopEvent[]>;
  artifact(id: string, name: string): Promise<string>;
  /** Waits until no agent process of this run is left (only the server); throws naming any that stay. */
  settle(): Promise<void>;
  /** SIGTERM, as a person would; then checks that no process of this run is left. */
  stop(): Promise<void>;
}

/** A loop for one test: started by the test, stopped (and checked for strays) when it ends. */
export async function useLoop(opts: LoopOptions = {}): Promise<LoopUnderTest> {
  const loop = await startLoop(opts);
  onTestFinished(() => loop.stop());
  return loop;
}

/**
 * One loop for the tests of a file (they share its settings): started before them, stopped after.
 * After each test the agents it started must be gone, and the model server forgets its script.
 */
export function compatSuite(opts: LoopOptions = {}): { readonly loop: LoopUnderTest } {
  let loop: LoopUnderTest | undefined;
  beforeAll(async () => {
    loop = await startLoop(opts);
  });
  afterEach(async () => {
    await loop?.settle();
    loop?.model.script({});
  });
  afterAll(async () => {
    await loop?.stop();
  });
  return {
    get loop() {
      if (!loop) throw new Error("the compat suite's loop did not start");
      return loop;
    },
  };
}

/**
 * Starts a scripted model server and loop's real server (apps/server/src/server.ts as a child
 * process) pointed at the real claude and codex, with throwaway HOME and CLI config dirs, so no
 * login, no network and nothing of the developer's own setup is used.
 */
export async function startLoop(opts: LoopOptions = {}): Promise<LoopUnderTest> {
  const model = await startModelServer();
  const { dir, env: cliEnv, runId } = cliSandbox(model.url, opts);
  const clis = realClis();
  mkdirSync(join(dir, "work"));
  const env: Record<string, string> = {
    ...cliEnv,
    PORT: "0",
    LOOP_TOKEN: TOKEN,
    LOOP_DB_PATH: join(dir, "loop.db"),
    LOOP_ARTIFACTS_DIR: join(dir, "loops"),
    LOOP_CLAUDE_BIN: clis.claude.bin,
    LOOP_CODEX_BIN: clis.codex.bin,
    LOOP_ITERATION_TIMEOUT_MS: "90000",
    LOOP_IDLE_TIMEOUT_MS: "60000",
    LOG_LEVEL: "warn",
    ...opts.env,
  };

  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`loop did not start:\n${out}\n${stderr}`)), 30_000);
    child.stdout?.on("data", (d) => {
      out += String(d);
      const m = /loop is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`loop exited with ${code}:\n${out}\n${stderr}`));
    });
  });

  const api: LoopUnderTest["api"] = async (path, init = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(url + path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    const body = text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    return { status: res.status, body: body as never };
  };

  let n = 0;
  let stopped = false;
  const loop: LoopUnderTest = {
    url,
    model,
    clis,
    dir,
    env,
    api,
    workdir(o = {}) {
      const wd = join(dir, "work", `w${++n}`);
      mkdirSync(wd);
      for (const [name, content] of Object.entries(o.files ?? {})) writeFileSync(join(wd, name), content);
      if (o.git) {
        const git = (...args: string[]) => execFileSync("git", args, { cwd: wd, env, stdio: "ignore" });
        git("init", "-q", "-b", "main");
        git("add", "-A");
        git(
          "-c",
          "user.name=compat",
          "-c",
          "user.email=compat@localhost",
          "commit",
          "-q",
          "--allow-empty",
          "-m",
          "init",
        );
      }
      return wd;
    },
    async createTask(body) {
      const r = await api<{ task: Task }>("/api/tasks", {
        method: "POST",
        body: { title: body.title ?? "compat", maxIterations: 3, ...body },
      });
      if (r.status !== 201)
        throw new Error(`POST /api/tasks answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body.task;
    },
    async waitForTask(id, done, timeoutMs = 60_000) {
      const start = Date.now();
      for (;;) {
        const r = await api<TaskDetail>(`/api/tasks/${id}`);
        if (r.status !== 200) throw new Error(`GET /api/tasks/${id} answered ${r.status}`);
        if (done(r.body.task)) return r.body;
        if (Date.now() - start > timeoutMs) {
          throw new Error(
            `task ${id} is still ${r.body.task.status} (${r.body.task.statusReason}) after ${timeoutMs} ms`,
          );
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    events: (id, until = (e) => e.type === "task.finished", timeoutMs = 60_000) =>
      readEvents(`${url}/api/tasks/${id}/events`, until, timeoutMs),
    async artifact(id, name) {
      const r = await api<string>(`/api/tasks/${id}/artifacts/${name}`);
      if (r.status !== 200) throw new Error(`artifact ${name}: ${r.status}`);
      return r.body;
    },
    async settle() {
      const strays = await waitForNoProcesses(runId, 5000, child.pid);
      if (strays.length) throw new Error(`agent processes left after the test:\n${strays.join("\n")}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await model.close();
      const strays = await waitForNoProcesses(runId, 5000);
      rmSync(dir, { recursive: true, force: true });
      if (strays.length)
        throw new Error(`processes of this run left after loop stopped:\n${strays.join("\n")}`);
    },
  };
  return loop;
}

/**
 * A throwaway directory and the environment the real CLIs run with: HOME, TMPDIR, CLAUDE_CONFIG_DIR
 * and CODEX_HOME inside it, both CLIs pointed at `modelUrl` with dummy keys. Nothing of the person
 * running the suite (their keys, logins, config) leaks in. Removed by the caller.
 */
export function cliSandbox(
  modelUrl: string,
  opts: Pick<LoopOptions, "claudeAuth" | "codexProvider"> = {},
): { dir: string; env: Record<string, string>; runId: string } {
  const dir = mkdtempSync(join(tmpdir(), "loop-compat-"));
  const runId = randomUUID();
  for (const d of ["home", "tmp", "claude-config", "codex-home"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "codex-home", "config.toml"), codexConfig(modelUrl, opts.codexProvider));
  const env: Record<string, string> = {
    PATH: [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: join(dir, "home"),
    TMPDIR: join(dir, "tmp"),
    LANG: "C.UTF-8",
    // codex prints reset times in local time and loop reads them in local time: one zone for both.
    TZ: "UTC",
    ANTHROPIC_BASE_URL: modelUrl,
    CLAUDE_CONFIG_DIR: join(dir, "claude-config"),
    ...(opts.claudeAuth === "subscription"
      ? { CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-compat-dummy" }
      : { ANTHROPIC_API_KEY: "sk-ant-api03-compat-dummy" }),
    // No telemetry, update checks or error reports: the only network is 127.0.0.1.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_MAX_RETRIES: "1",
    CODEX_HOME: join(dir, "codex-home"),
    LOOP_COMPAT_API_KEY: "sk-compat-dummy",
    // Every process started with it inherits it, so strays of this run (and only those) can be found.
    LOOP_COMPAT_RUN: runId,
  };
  return { dir, env, runId };
}

function codexConfig(modelUrl: string, extra: LoopOptions["codexProvider"] = {}): string {
  const provider = {
    name: "loop-compat",
    base_url: `${modelUrl}/v1`,
    env_key: "LOOP_COMPAT_API_KEY",
    wire_api: "responses",
    // Fail fast: the scenarios script retries themselves where they need them.
    request_max_retries: 0,
    stream_max_retries: 0,
    ...extra,
  };
  const toml = (v: string | number) => (typeof v === "number" ? String(v) : JSON.stringify(v));
  return [
    'model_provider = "loop-compat"',
    // Everything codex would fetch from chatgpt.com or GitHub stays local or off.
    `chatgpt_base_url = ${toml(`${modelUrl}/backend-api/`)}`,
    "check_for_update_on_startup = false",
    "",
    "[analytics]",
    "enabled = false",
    "",
    "[features]",
    "plugins = false",
    "",
    "[model_providers.loop-compat]",
    ...Object.entries(provider).map(([k, v]) => `${k} = ${toml(v)}`),
    "",
  ].join("\n");
}

/** Collects a task's events over SSE (replay from id 0, then live) until `until` holds. */
async function readEvents(
  url: string,
  until: (e: LoopEvent) => boolean,
  timeoutMs: number,
): Promise<LoopEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: LoopEvent[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" },
      signal: ac.signal,
    });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
        const data = buf
          .slice(0, end)
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        buf = buf.slice(end + 2);
        if (!data) continue;
        const e = JSON.parse(data) as LoopEvent;
        events.push(e);
        if (until(e)) return events;
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new Error(
    `the event stream did not reach the expected event within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-3))}`,
  );
}

/** Processes whose environment carries this run's marker (Linux /proc; elsewhere the check is skipped). */
export function processesOfRun(runId: string, except?: number): string[] {
  if (!existsSync("/proc/self/environ")) return [];
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || Number(pid) === except) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "latin1").includes(`LOOP_COMPAT_RUN=${runId}`)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim()}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function waitForNoProcesses(runId: string, timeoutMs: number, except?: number): Promise<string[]> {
  const start = Date.now();
  for (;;) {
    const left = processesOfRun(runId, except);
    if (left.length === 0) return [];
    if (Date.now() - start > timeoutMs) {
      for (const l of left) {
        try {
          process.kill(Number(l.split(" ")[0]), "SIGKILL");
        } catch {
          // already gone
        }
      }
      return left;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until fn returns a truthy value. */
export async function waitFor<T>(
  fn: () => T | undefined | null | false,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
