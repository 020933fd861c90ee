import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isAlive, listProcesses, type RunOptions, runProcess } from "../src/runner/index.ts";

const TREE = fileURLToPath(new URL("./fixtures/runner/tree.mjs", import.meta.url));
const node = process.execPath;

function run(script: string, opts: Partial<RunOptions> = {}) {
  const lines: Array<[string, string]> = [];
  const result = runProcess({
    bin: node,
    args: ["-e", script],
    input: "",
    cwd: tmpdir(),
    timeoutMs: 10_000,
    graceMs: 200,
    onLine: (s, l) => {
      lines.push([s, l]);
      return undefined;
    },
    ...opts,
  });
  return { lines, result };
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/**
 * Dead now: gone, or a zombie. A killed orphan stays a zombie until PID 1 reaps it (up to ~1 s in
 * some containers) and kill(pid, 0) still succeeds on a zombie, so ask ps for its state.
 */
function deadAt(pid: number): boolean {
  const state = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim();
  return state === "" || state.startsWith("Z");
}

describe("runProcess", () => {
  it("streams stdout and stderr line by line, passes stdin, and reports the exit code", async () => {
    const { lines, result } = run(
      `let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => {
         console.log("got " + s.trim()); console.error("warn\\r"); process.stdout.write("a\\nb\\r\\nno newline"); process.exitCode = 3; });`,
      { input: "hello\n" },
    );
    const r = await result;
    expect(r.exitCode).toBe(3);
    expect(r.failure).toBeNull();
    expect(lines.filter(([s]) => s === "stdout").map(([, l]) => l)).toEqual([
      "got hello",
      "a",
      "b",
      "no newline",
    ]);
    expect(lines.filter(([s]) => s === "stderr").map(([, l]) => l)).toEqual(["warn"]);
    expect(r.stderrTail).toContain("warn");
  });

  it("delivers a 100 000-line flood completely and in order", async () => {
    const { lines, result } = run(
      `let i = 0; const w = () => { while (i < 100000) { if (!process.stdout.write("line " + ++i + "\\n")) return process.stdout.once("drain", w); } }; w();`,
    );
    const r = await result;
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(100_000);
    expect(lines.every(([, l], i) => l === `line ${i + 1}`)).toBe(true);
  });

  it("keeps multi-byte characters split across chunks intact", async () => {
    const { lines, result } = run(
      `const b = Buffer.from("é€😀\\n"); process.stdout.write(b.subarray(0, 3)); setTimeout(() => process.stdout.write(b.subarray(3)), 50);`,
    );
    await result;
    expect(lines).toEqual([["stdout", "é€😀"]]);
  });

  it("a missing binary is a spawn failure that says so", async () => {
    const r = await runProcess({
      bin: "/nonexistent/agent-cli",
      args: [],
      input: "",
      cwd: tmpdir(),
      timeoutMs: 5000,
      onLine: () => undefined,
    });
    expect(r.failure?.kind).toBe("spawn_failed");
    expect(r.failure?.message).toContain("/nonexistent/agent-cli");
    expect(r.failure?.message).toContain("not found");
    expect(r.pid).toBeUndefined();
  });

  it("at the timeout stops the whole tree, including a grandchild in its own session that ignores SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loop-runner-"));
    const pidFile = join(dir, "grandchild.pid");
    let pid: number | undefined;
    const r = await runProcess({
      bin: node,
      args: [TREE, pidFile],
      input: "",
      cwd: dir,
      timeoutMs: 1500,
      graceMs: 200,
      onSpawn: (p) => {
        pid = p;
      },
      onLine: () => undefined,
    });
    expect(r.failure).toEqual({ kind: "timeout", message: "timed out after 1500 ms" });
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    // Already stopped when the run resolves, not a moment later: a caller that exits right away
    // (server shutdown after a cancel) must not leave the grandchild behind.
    expect(deadAt(pid!)).toBe(true);
    expect(deadAt(grandchild)).toBe(true);
    expect(await gone(pid!)).toBe(true);
    expect(await gone(grandchild)).toBe(true);
  });

  it("the idle timeout fires on silence, and lines marked as no progress do not reset it", async () => {
    const silent = await run("console.log('hi'); setInterval(() => {}, 1000);", { idleTimeoutMs: 300 })
      .result;
    expect(silent.failure?.kind).toBe("idle_timeout");

    // sh, not node: the idle clock starts at spawn, and node's own start-up (often 300 ms+ on a
    // busy machine) would eat the margin and make these two cases flaky.
    const retries: string[] = [];
    const chatty = await runProcess({
      bin: "sh",
      args: ["-c", "while :; do echo Reconnecting...; sleep 0.03; done"],
      input: "",
      cwd: tmpdir(),
      timeoutMs: 10_000,
      idleTimeoutMs: 400,
      graceMs: 200,
      onLine: (_s, l) => {
        retries.push(l);
        return false;
      },
    });
    expect(chatty.failure).toEqual({ kind: "idle_timeout", message: "no output for 400 ms" });
    expect(retries.length).toBeGreaterThan(3);
    expect(new Set(retries)).toEqual(new Set(["Reconnecting..."]));

    // 12 lines 50 ms apart: 600 ms in all, twice the idle limit, yet never 300 ms of silence.
    const busyLines: string[] = [];
    const busy = await runProcess({
      bin: "sh",
      args: ["-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo $i; sleep 0.05; done"],
      input: "",
      cwd: tmpdir(),
      timeoutMs: 10_000,
      idleTimeoutMs: 300,
      graceMs: 200,
      onLine: (_s, l) => {
        busyLines.push(l);
        return undefined;
      },
    });
    expect(busy.failure).toBeNull();
    expect(busy.exitCode).toBe(0);
    expect(busyLines).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
    expect(busy.durationMs).toBeGreaterThan(300);
  });

  it("an abort signal cancels the run and stops the process", async () => {
    const ac = new AbortController();
    let pid: number | undefined;
    const p = runProcess({
      bin: node,
      args: ["-e", "console.log('up'); setInterval(() => {}, 1000);"],
      input: "",
      cwd: tmpdir(),
      timeoutMs: 10_000,
      graceMs: 200,
      signal: ac.signal,
      onSpawn: (x) => {
        pid = x;
      },
      onLine: () => {
        ac.abort();
        return undefined;
      },
    });
    const r = await p;
    expect(r.failure?.kind).toBe("cancelled");
    expect(await gone(pid!)).toBe(true);
  });

  it("after its answer no timer can fail a run: an agent that ignores SIGINT and never exits only lingers", async () => {
    let answered = false;
    const { lines, result } = run(
      "process.on('SIGINT', () => {}); console.log('RESULT'); setInterval(() => {}, 1000);",
      {
        // Long enough for a slow node start-up to print its answer first, on a busy machine.
        timeoutMs: 2500,
        idleTimeoutMs: 1500,
        exitGraceMs: 4000,
        isDone: () => answered,
        onLine: (s, l) => {
          lines.push([s, l]);
          if (l === "RESULT") answered = true;
          return undefined;
        },
      },
    );
    const r = await result;
    expect(lines).toEqual([["stdout", "RESULT"]]);
    // Well past the idle (1.5 s) and wall-clock (2.5 s) limits, the exit grace ended it.
    expect(r.failure).toBeNull();
    expect(r.lingered).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(4000);
    expect(deadAt(r.pid!)).toBe(true);
  });
});

describe("listProcesses", () => {
  it("lists this process and a detached child with their parents and process groups, as ps does", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], {
      detached: true,
      stdio: "ignore",
    });
    try {
      const procs = await listProcesses();
      expect(procs.find((p) => p.pid === child.pid)).toEqual({
        pid: child.pid,
        ppid: process.pid,
        pgid: child.pid,
      });
      const ps = spawnSync("ps", ["-o", "pid=,ppid=,pgid=", "-p", String(process.pid)], { encoding: "utf8" });
      const [pid, ppid, pgid] = ps.stdout.trim().split(/\s+/).map(Number);
      expect(procs.find((p) => p.pid === process.pid)).toEqual({ pid, ppid, pgid });
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("runProcess reads a long tail after the exit", () => {
  it("keeps reading a pipe that still delivers after the agent exited, well past 2 s, and gets the last line whole", async () => {
    // The agent exits at once; a tool process it left holds stdout and writes a long last line,
    // without its newline, in pieces over ~3 s. The old fixed 2 s cut lost its tail.
    const script = `
      const { spawn } = require("node:child_process");
      spawn(process.execPath, ["-e", \`
        const piece = "z".repeat(64 * 1024);
        let n = 0;
        process.stdout.write("{\\\\"type\\\\":\\\\"result\\\\",\\\\"text\\\\":\\\\"");
        const t = setInterval(() => {
          process.stdout.write(piece);
          if (++n === 12) { clearInterval(t); process.stdout.write("\\\\"}"); }
        }, 250);
      \`], { stdio: ["ignore", "inherit", "inherit"] }).unref();
      console.log("first");
    `;
    const { lines, result } = run(script);
    const r = await result;
    expect(r.exitCode).toBe(0);
    const out = lines.filter(([s]) => s === "stdout").map(([, l]) => l);
    expect(out[0]).toBe("first");
    expect(out).toHaveLength(2);
    expect(JSON.parse(out[1]!)).toEqual({ type: "result", text: "z".repeat(12 * 64 * 1024) });
  }, 20_000);
});
