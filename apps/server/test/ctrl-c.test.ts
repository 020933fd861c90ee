/**
 * Issue 19, point 1: Ctrl-C in the terminal that runs `pnpm start`. The terminal sends SIGINT to its
 * whole foreground process group (pnpm, scripts/start.mjs, the server), and pnpm forwards a copy
 * too: the server gets several. These tests run the real `pnpm start` in a process group of its
 * own and signal the group as a terminal does, with a fake claude mid-run whose tool process holds
 * a lock file it removes on SIGTERM (and that claude leaves to loop's stop).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isRunning } from "@loop/core";
import { openRepositories } from "@loop/db";
import { stateFiles, type Task } from "@loop/shared";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { FAKE_CLAUDE, FAKE_CODEX, TEST_TOKEN, waitFor } from "./helpers.ts";
import { claude, scenario } from "./scenarios.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const REASON = "interrupted by a server stop during iteration 1 (claude); resume it to continue from there";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Started {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  wd: string;
  dbPath: string;
  api(path: string, body?: unknown): Promise<{ task: Task }>;
}

/** `pnpm start` as a person runs it, in a process group of its own (a terminal's foreground group). */
async function pnpmStart(steps: Record<string, unknown>[], graceMs: number): Promise<Started> {
  dir = mkdtempSync(join(tmpdir(), "loop-ctrlc-"));
  const wd = join(dir, "work");
  const home = join(dir, "home");
  mkdirSync(wd);
  mkdirSync(home);
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario({ claude: steps })));
  const dbPath = join(dir, "loop.db");
  const out = { stdout: "", stderr: "" };
  const child = spawn("pnpm", ["start"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      // A throwaway HOME for pnpm and the CLIs it ends up starting.
      HOME: home,
      npm_config_update_notifier: "false",
      LOG_LEVEL: "warn",
      PORT: "0",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: dbPath,
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      LOOP_KILL_GRACE_MS: String(graceMs),
    },
  });
  onTestFinished(() => {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, "SIGKILL");
  });
  child.stdout!.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr!.on("data", (d) => {
    out.stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal, at: Date.now() })),
  );
  // The first start may build the dashboard and the server bundle.
  const url = await Promise.race([
    waitFor(
      () => out.stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\//),
      170_000,
      "the URL line",
    ),
    exited.then((e) => {
      throw new Error(`pnpm start exited (${e.code}) before listening: ${out.stderr}`);
    }),
  ]);
  const base = url[1]!;
  return {
    child,
    out,
    exited,
    wd,
    dbPath,
    async api(path, body) {
      const res = await fetch(`${base}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return (await res.json()) as { task: Task };
    },
  };
}

/** Starts a task and waits until claude, its tool process and the lock-holding tool process run. */
async function midRun(s: Started) {
  const { task } = (await s.api("/api/tasks", { title: "t", prompt: "p", workingDir: s.wd })) as {
    task: Task;
  };
  const pidIn = (f: string) => (existsSync(f) ? Number(readFileSync(f, "utf8")) || undefined : undefined);
  const lock = join(s.wd, "tool.lock");
  const holder = await waitFor(() => pidIn(lock), 20_000, "the tool's lock file");
  const gc = await waitFor(() => pidIn(join(s.wd, "gc.pid")), 5000, "claude's tool process");
  const record = join(s.wd, ".fake-state", "claude-1.json");
  const agent = await waitFor(
    () => existsSync(record) && (JSON.parse(readFileSync(record, "utf8")) as { pid: number }).pid,
    5000,
    "claude's record",
  );
  // The run's record is written when it starts: a stop must find it open.
  await waitFor(
    async () => (await s.api(`/api/tasks/${task.id}`)).task.status === "running",
    5000,
    "running",
  );
  const sigints = () => {
    const f = join(s.wd, ".fake-state", "claude-1-sigint");
    return existsSync(f) ? readFileSync(f, "utf8").trim().split("\n").length : 0;
  };
  return { task, lock, pids: [agent, gc, holder], sigints };
}

/** What a person sees and what is left: asserted the same way after one or two Ctrl-Cs. */
function assertStoppedCleanly(
  s: Started,
  run: Awaited<ReturnType<typeof midRun>>,
  exit: { code: number | null; signal: NodeJS.Signals | null },
) {
  // The exit status the shell shows, and no error line from pnpm ("ELIFECYCLE Command failed").
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(s.out.stderr).not.toMatch(/ELIFECYCLE|ERR_|error|failed/i);
  // Every process of the run is gone by the time the command returns, and the tool cleaned up.
  for (const pid of run.pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  expect(existsSync(run.lock)).toBe(false);
  expect(groupAlive(s.child.pid!)).toBe(false);
  // The server file is removed; the task was paused by a stop, not by a crash.
  expect(existsSync(stateFiles(s.dbPath).server)).toBe(false);
  const repos = openRepositories(s.dbPath);
  try {
    expect(repos.tasks.get(run.task.id)).toMatchObject({ status: "paused", statusReason: REASON });
    expect(repos.agentRuns.listOpen()).toEqual([]);
  } finally {
    repos.handle.close();
  }
}

describe.skipIf(process.platform === "win32")("Ctrl-C in the terminal running `pnpm start`", () => {
  it("stops the agent's whole tree, pauses the task as a server stop, removes the server file and exits 0 without an error line", async () => {
    // claude takes 1 s to stop after SIGINT, well within the grace.
    const s = await pnpmStart(
      [{ ...claude.grandchildThenHang("gc.pid"), sigintExitMs: 1000, lockFile: "tool.lock" }],
      5000,
    );
    expect(existsSync(stateFiles(s.dbPath).server)).toBe(true);
    const run = await midRun(s);
    process.kill(-s.child.pid!, "SIGINT");
    const exit = await s.exited;
    // The agent was asked to stop (SIGINT) and did, on its own.
    expect(run.sigints()).toBeGreaterThanOrEqual(1);
    assertStoppedCleanly(s, run, exit);
  }, 240_000);

  it("a second Ctrl-C while the agent is being stopped does not cut the stop short: the agent is stopped before the exit", async () => {
    // A wedged claude that ignores SIGINT: only the end of the grace (SIGKILL) stops it.
    const graceMs = 2000;
    const s = await pnpmStart(
      [{ ...claude.grandchildThenHang("gc.pid", true), lockFile: "tool.lock" }],
      graceMs,
    );
    const run = await midRun(s);
    const first = Date.now();
    process.kill(-s.child.pid!, "SIGINT");
    // The stop has begun: the agent got its SIGINT (and ignores it).
    await waitFor(() => run.sigints() >= 1, 10_000, "the agent's SIGINT");
    process.kill(-s.child.pid!, "SIGINT");
    const second = Date.now();
    const exit = await s.exited;
    // It waited out the agent's grace rather than exiting at the second Ctrl-C…
    expect(exit.at - first).toBeGreaterThanOrEqual(graceMs);
    expect(exit.at).toBeGreaterThan(second);
    // …and not much longer: the agent's grace, the tool's (it exits at once on SIGTERM), the look-ups.
    expect(exit.at - first).toBeLessThan(2 * graceMs + 10_000);
    assertStoppedCleanly(s, run, exit);
  }, 240_000);
  it("closing the terminal (SIGHUP to the group, output gone) stops the same way, even though pnpm dies of it", async () => {
    const s = await pnpmStart(
      [{ ...claude.grandchildThenHang("gc.pid"), sigintExitMs: 500, lockFile: "tool.lock" }],
      3000,
    );
    const run = await midRun(s);
    // The terminal's window closes: the reading end of the output is gone, then SIGHUP.
    s.child.stdout!.destroy();
    s.child.stderr!.destroy();
    process.kill(-s.child.pid!, "SIGHUP");
    // pnpm has no SIGHUP handler and dies at once; start.mjs and the server finish the stop.
    await waitFor(() => !groupAlive(s.child.pid!), 30_000, "every process of pnpm start to exit");
    for (const pid of run.pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(run.lock)).toBe(false);
    expect(existsSync(stateFiles(s.dbPath).server)).toBe(false);
    const repos = openRepositories(s.dbPath);
    try {
      expect(repos.tasks.get(run.task.id)).toMatchObject({ status: "paused", statusReason: REASON });
    } finally {
      repos.handle.close();
    }
  }, 240_000);
});
