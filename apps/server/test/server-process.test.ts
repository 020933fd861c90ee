import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive } from "@loop/core";
import type { HealthResponse } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { FAKE_CLAUDE, FAKE_CODEX, TEST_TOKEN, waitFor } from "./helpers.ts";
import { claude, scenario } from "./scenarios.ts";

const SERVER = fileURLToPath(new URL("../src/server.ts", import.meta.url));
let child: ChildProcess | undefined;
let dir: string;
afterEach(() => {
  child?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const out = { stdout: "", stderr: "" };
  child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr!.on("data", (d) => {
    out.stderr += d;
  });
  const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
  return { out, exited };
}

describe("server.ts as a process", () => {
  it("refuses to start on a bad variable, naming it", async () => {
    const { out, exited } = start({ PORT: "99999" });
    expect(await exited).toBe(2);
    expect(out.stderr).toMatch(/PORT="99999": PORT must be at most 65535/);
  });

  it("refuses to start on a prompt template with an unknown placeholder, or one it cannot read, naming the variable", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-proc-"));
    const template = join(dir, "claude.md");
    writeFileSync(template, "{{title}}\n\n{{prompt}}\n\n{{reviw}}\n");
    const bad = start({ LOOP_CLAUDE_PROMPT_FILE: template, LOOP_DB_PATH: join(dir, "loop.db") });
    expect(await bad.exited).toBe(2);
    expect(bad.out.stderr).toContain(
      `loop: Invalid configuration:\n  LOOP_CLAUDE_PROMPT_FILE=${JSON.stringify(template)}: unknown placeholder {{reviw}} (a worker prompt may use`,
    );
    expect(bad.out.stdout).not.toContain("loop is running");

    const missing = join(dir, "no-such-codex.md");
    const unreadable = start({ LOOP_CODEX_PROMPT_FILE: missing, LOOP_DB_PATH: join(dir, "loop.db") });
    expect(await unreadable.exited).toBe(2);
    expect(unreadable.out.stderr).toContain(
      `LOOP_CODEX_PROMPT_FILE=${JSON.stringify(missing)}: cannot read ${missing} (ENOENT)`,
    );
  });

  it("logs requests (at debug) without the access token", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-proc-"));
    const { out, exited } = start({
      PORT: "0",
      LOG_LEVEL: "debug",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
    });
    const url = await waitFor(() => out.stdout.match(/loop is running: (\S+)/), 15_000, "URL line");
    const res = await fetch(url[1]!);
    expect(res.status).toBe(200);
    await waitFor(() => out.stdout.includes("token=[redacted]"), 5000, "the request's log line");
    // Only the one line meant for the person shows the token.
    expect(out.stdout.split(TEST_TOKEN).length - 1).toBe(1);
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("health warns when an installed CLI is newer than the version loop was tested with", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-proc-"));
    const { out, exited } = start({
      PORT: "0",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      // Both fakes then answer --version with 99.0.0.
      FAKE_VERSION: "99.0.0",
    });
    const url = await waitFor(
      () => out.stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\//),
      15_000,
      "URL line",
    );
    const res = await fetch(`${url[1]}/api/health`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const { agents } = (await res.json()) as HealthResponse;
    const tested = JSON.parse(
      readFileSync(new URL("../../../packages/core/package.json", import.meta.url), "utf8"),
    ).devDependencies as Record<string, string>;
    expect(agents.claude).toMatchObject({
      version: "99.0.0 (Claude Code)",
      testedVersion: tested["@anthropic-ai/claude-code"],
      newerThanTested: `claude 99.0.0 is newer than the tested ${tested["@anthropic-ai/claude-code"]}`,
    });
    expect(agents.codex).toMatchObject({
      version: "codex-cli 99.0.0",
      newerThanTested: `codex 99.0.0 is newer than the tested ${tested["@openai/codex"]}`,
    });
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("prints the URL with the token, serves, and on SIGTERM stops the running agent and exits 0", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-proc-"));
    const wd = join(dir, "work");
    mkdirSync(wd);
    writeFileSync(
      join(wd, ".fake-scenario.json"),
      JSON.stringify(scenario({ claude: [claude.grandchildThenHang("gc.pid")] })),
    );
    const { out, exited } = start({
      PORT: "0",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      LOOP_KILL_GRACE_MS: "300",
    });
    const url = await waitFor(
      () => out.stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/),
      15_000,
      "URL line",
    );
    expect(url[2]).toBe(TEST_TOKEN);
    const base = url[1]!;
    const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
    const created = await fetch(`${base}/api/tasks`, {
      method: "POST",
      headers,
      body: JSON.stringify({ title: "t", prompt: "p", workingDir: wd }),
    });
    expect(created.status).toBe(201);
    const { task } = (await created.json()) as { task: { id: string } };
    let gcPid = 0;
    await waitFor(
      () => {
        try {
          gcPid = Number(readFileSync(join(wd, "gc.pid"), "utf8"));
        } catch {
          // not written yet
        }
        return gcPid > 0;
      },
      10_000,
      "agent grandchild",
    );
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
    await waitFor(() => !isAlive(gcPid), 5000, "agent grandchild to be gone");

    // The interrupted task was recorded as paused (resumable), with a reason, before the DB closed.
    const { openRepositories } = await import("@loop/db");
    const repos = openRepositories(join(dir, "loop.db"));
    expect(repos.tasks.get(task.id)).toMatchObject({
      status: "paused",
      statusReason:
        "interrupted by a server stop during iteration 1 (claude); resume it to continue from there",
    });
    repos.handle.close();
  });

  it("keeps the token out of the URL, agents, events, artifacts and logs, and its files owner-only", async () => {
    dir = mkdtempSync(join(tmpdir(), "loop-proc-"));
    // An agent that answers the health probe, and for a run prints the environment it was given, then fails.
    const spy = join(dir, "env-agent.sh");
    writeFileSync(
      spy,
      '#!/bin/sh\ncase "$1" in --version) echo "1.0.0"; exit 0;; auth|login) echo "Logged in"; exit 0;; esac\nenv\nexit 1\n',
    );
    chmodSync(spy, 0o755);
    const { out, exited } = start({
      PORT: "0",
      LOG_LEVEL: "debug",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: spy,
      LOOP_CODEX_BIN: spy,
    });
    const url = await waitFor(() => out.stdout.match(/loop is running: (\S+)/), 15_000, "URL line");
    const base = new URL(url[1]!).origin;

    // The start-up URL answers a redirect without the token and sets the cookie.
    const first = await fetch(url[1]!, { redirect: "manual" });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/");
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;

    const created = await fetch(`${base}/api/tasks`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ title: "t", prompt: "p", workingDir: dir }),
    });
    expect(created.status).toBe(201);
    const { task } = (await created.json()) as { task: { id: string } };
    // Everything the task did, read off its event stream until it finished.
    const stream = await fetch(`${base}/api/tasks/${task.id}/events`, { headers: { cookie } });
    const reader = stream.body!.getReader();
    let text = "";
    while (!text.includes('"type":"task.finished"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain("PATH=");
    expect(text).not.toContain(TEST_TOKEN);
    const folder = join(dir, "loops", task.id);
    for (const f of readdirSync(folder)) {
      expect(readFileSync(join(folder, f), "utf8")).not.toContain(TEST_TOKEN);
      expect(statSync(join(folder, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "loops")).mode & 0o777).toBe(0o700);
    for (const f of ["loop.db", "loop.db-wal", "loop.db-shm"]) {
      expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    }
    await waitFor(() => out.stdout.includes("token=[redacted]"), 5000, "the request's log line");
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
    // Only the one line meant for the person shows the token.
    expect(`${out.stdout}${out.stderr}`.split(TEST_TOKEN).length - 1).toBe(1);
  });
});
