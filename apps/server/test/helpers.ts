import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EventBus, Orchestrator, Settings, SweepMethod } from "@loop/core";
import type { Repositories } from "@loop/db";
import { type AgentHealth, isTerminal, type LoopEvent } from "@loop/shared";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { buildApp } from "../src/app.ts";
import { type Config, loadConfig } from "../src/config.ts";
import type { EventRoutesOptions } from "../src/routes/events/index.ts";

const FIXTURES = fileURLToPath(new URL("../../../packages/core/test/fixtures/", import.meta.url));
export const FAKE_CLAUDE = join(FIXTURES, "fake-claude.mjs");
export const FAKE_CODEX = join(FIXTURES, "fake-codex.mjs");
export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface TestApp {
  app: FastifyInstance;
  repos: Repositories;
  bus: EventBus;
  orchestrator: Orchestrator;
  config: Config;
  dir: string;
  /** inject() with the token and an allowed Host header. */
  api(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** A fresh working directory holding a fake-CLI scenario (see packages/core/test/fixtures/README.md). */
  workdir(scenario?: object): string;
  events(taskId: string): LoopEvent[];
  close(): Promise<void>;
}

const fastProbe = async (_agent: "claude" | "codex", bin: string): Promise<AgentHealth> => ({
  bin,
  found: true,
  version: "test",
  loggedIn: true,
});

export async function createTestApp(
  env: Record<string, string> = {},
  opts: {
    settings?: Partial<Settings>;
    sweepMethod?: SweepMethod;
    /** Keep the temp dir on close (a restart test reopens its files). */
    dir?: string;
    realProbe?: boolean;
    dbPath?: string;
    sse?: EventRoutesOptions;
    webRoot?: string;
    notifyRetryDelayMs?: number;
  } = {},
): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "loop-test-"));
  const config = loadConfig(
    {
      LOOP_DB_PATH: opts.dbPath ?? join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_KILL_GRACE_MS: "300",
      ...env,
    },
    dir,
  );
  const app = await buildApp({
    config,
    token: TEST_TOKEN,
    services: {
      ...(opts.settings && { settings: opts.settings }),
      ...(opts.sweepMethod && { sweepMethod: opts.sweepMethod }),
    },
    ...(opts.sse && { sse: opts.sse }),
    ...(opts.webRoot && { webRoot: opts.webRoot }),
    ...(opts.notifyRetryDelayMs !== undefined && { notifyRetryDelayMs: opts.notifyRetryDelayMs }),
    ...(!opts.realProbe && { healthProbe: fastProbe }),
  });
  await app.ready();
  const { repos, bus, orchestrator } = app;
  let n = 0;
  return {
    app,
    repos,
    bus,
    orchestrator,
    config,
    dir,
    api: (o) =>
      app.inject({
        ...o,
        headers: { host: "127.0.0.1", authorization: `Bearer ${TEST_TOKEN}`, ...o.headers },
      }),
    workdir(scenario) {
      const wd = join(dir, `work-${++n}`);
      mkdirSync(wd, { recursive: true });
      if (scenario) writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario));
      return wd;
    },
    events: (taskId) => repos.events.listAfter({ afterId: 0, taskId, limit: 1_000_000 }),
    async close() {
      await app.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until fn returns a truthy value (real processes finish when they finish). */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the task has ended (done, needs_attention, failed or cancelled) and returns it. */
export const taskEnded = (app: Pick<TestApp, "repos">, id: string, timeoutMs = 20_000) =>
  waitFor(
    () => {
      const task = app.repos.tasks.get(id);
      return task && isTerminal(task.status) ? task : undefined;
    },
    timeoutMs,
    `task ${id} to end`,
  );
