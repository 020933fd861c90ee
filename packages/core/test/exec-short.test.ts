import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { execShort, findMarked, isAlive, listProcesses } from "../src/runner/index.ts";

const FAKE_CODEX = fileURLToPath(new URL("./fixtures/fake-codex.mjs", import.meta.url));

describe("execShort", () => {
  it("gives the output without its final newline, and the exit code", async () => {
    expect(await execShort(FAKE_CODEX, ["--version"], { timeoutMs: 20_000 })).toMatchObject({
      started: true,
      notFound: false,
      timedOut: false,
      exitCode: 0,
      stdout: "codex-cli 0.171.0",
    });
    const failed = await execShort("sh", ["-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 20_000 });
    expect(failed).toMatchObject({ started: true, exitCode: 3, stdout: "out", stderr: "err" });
    expect(failed.message).toContain("exit code 3");
  });

  it("gives `input` on stdin (gh pr create's body); without it stdin is closed", async () => {
    const cat = await execShort("sh", ["-c", "cat"], { timeoutMs: 20_000, input: "body\nof the PR\n" });
    expect(cat).toMatchObject({ exitCode: 0, stdout: "body\nof the PR" });
    expect(await execShort("sh", ["-c", "cat"], { timeoutMs: 20_000 })).toMatchObject({
      exitCode: 0,
      stdout: "",
    });
  });

  it("a missing or unstartable binary is not started; a missing one is notFound", async () => {
    expect(await execShort("/nowhere/codex", ["--version"], { timeoutMs: 20_000 })).toMatchObject({
      started: false,
      notFound: true,
      exitCode: undefined,
    });
    const plain = join(mkdtempSync(join(tmpdir(), "loop-exec-")), "not-executable");
    writeFileSync(plain, "#!/bin/sh\necho no\n", { mode: 0o644 });
    const denied = await execShort(plain, ["--version"], { timeoutMs: 20_000 });
    expect(denied).toMatchObject({ started: false, notFound: false, timedOut: false });
    expect(denied.message).toContain("EACCES");
  });

  it("past the timeout: SIGTERM, then SIGKILL for one that ignores it; a process it left holding the pipes does not hold the answer", async () => {
    const t0 = performance.now();
    const r = await execShort("sh", ["-c", "trap '' TERM; echo started; sleep 30"], { timeoutMs: 300 });
    expect(r).toMatchObject({ started: false, timedOut: true, exitCode: undefined, stdout: "started" });
    const left = await execShort("sh", ["-c", "echo v1; sleep 30 & exit 0"], { timeoutMs: 20_000 });
    expect(left).toMatchObject({ started: true, exitCode: 0, stdout: "v1" });
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe("process look-ups in /proc", () => {
  it("listProcesses has this process with its parent; findMarked finds a process by its marker, by /proc as by ps", async () => {
    const procs = await listProcesses();
    expect(procs.find((p) => p.pid === process.pid)?.ppid).toBe(process.ppid);
    const marker = `loop-test-${process.pid}-${Date.now()}`;
    const child = spawn("sleep", ["30"], {
      env: { ...process.env, LOOP_RUN_MARKER: marker },
      stdio: "ignore",
    });
    onTestFinished(() => {
      child.kill("SIGKILL");
    });
    expect(child.pid && isAlive(child.pid)).toBe(true);
    for (const method of ["proc", "ps"] as const) {
      expect(await findMarked([marker], method)).toEqual([{ pid: child.pid, marker }]);
      expect(await findMarked([`${marker}-other`], method)).toEqual([]);
    }
  });
});
