// Issue 19, point 9: stopping a tree must not kill a tool process outright. Every process that is
// not the agent itself gets SIGTERM and a grace, so its own cleanup runs (a shell killed in the
// middle of its start-up files left pyenv's rehash lock behind, and every new shell waited 60 s).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isRunning, killMarked, MARKER_VAR, newMarker, runProcess } from "../src/runner/index.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const FAKE_CLAUDE = join(FIXTURES, "fake-claude.mjs");
// Holds a lock file (its pid inside) and removes it on SIGTERM; ignores SIGINT like a tool's shell.
const LOCK_HOLDER = `const fs = require("node:fs"); const lock = process.argv[1];
process.on("SIGTERM", () => { fs.rmSync(lock, { force: true }); process.exit(0); });
process.on("SIGINT", () => {});
fs.writeFileSync(lock, String(process.pid)); setInterval(() => {}, 1 << 30);`;

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(fn: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pidIn = (file: string) =>
  existsSync(file) ? Number(readFileSync(file, "utf8")) || undefined : undefined;

describe("stopping an agent's tree", () => {
  // "ps" is how macOS finds processes (no /proc); Linux has both, so both are run here.
  it.each(["proc", "ps"] as const)(
    "%s: a wedged agent is SIGKILLed, its tool process gets SIGTERM and removes its lock file; nothing is left",
    async (method) => {
      dir = mkdtempSync(join(tmpdir(), "loop-stop-"));
      writeFileSync(
        join(dir, ".fake-scenario.json"),
        JSON.stringify({
          claude: [{ kind: "grandchild", pidFile: "gc.pid", ignoreSigint: true, lockFile: "tool.lock" }],
        }),
      );
      const lock = join(dir, "tool.lock");
      const ac = new AbortController();
      let agent: number | undefined;
      const run = runProcess({
        bin: process.execPath,
        args: [FAKE_CLAUDE, "--print", "--output-format", "stream-json", "--verbose"],
        input: "p",
        cwd: dir,
        env: { HOME: dir },
        marker: newMarker(),
        sweepMethod: method,
        timeoutMs: 60_000,
        graceMs: 300,
        signal: ac.signal,
        onSpawn: (p) => {
          agent = p;
        },
        onLine: () => undefined,
      });
      const holder = await waitFor(() => pidIn(lock), 15_000, "the lock file");
      const gc = await waitFor(() => pidIn(join(dir, "gc.pid")), 5000, "the grandchild");
      ac.abort();
      const r = await run;
      expect(r.failure?.kind).toBe("cancelled");
      // The agent ignored SIGINT and was killed; the tool process cleaned up after itself.
      expect(r.signal).toBe("SIGKILL");
      expect(existsSync(lock)).toBe(false);
      for (const pid of [agent!, gc, holder]) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    },
    30_000,
  );

  it.each(["proc", "ps"] as const)(
    "%s: the marker sweep (start-up, after every run) gives SIGTERM and a grace before SIGKILL",
    async (method) => {
      dir = mkdtempSync(join(tmpdir(), "loop-stop-"));
      const marker = newMarker();
      const lock = join(dir, "tool.lock");
      // One that cleans up, and one that ignores SIGTERM: SIGKILL once the grace is over.
      const holder = spawn(process.execPath, ["-e", LOCK_HOLDER, lock, FIXTURES], {
        detached: true,
        stdio: "ignore",
        env: { ...process.env, [MARKER_VAR]: marker },
      });
      const stubborn = spawn(
        process.execPath,
        [
          "-e",
          "process.on('SIGTERM', () => {}); require('node:fs').writeFileSync(process.argv[1], 'x'); setInterval(() => {}, 1 << 30);",
          join(dir, "up"),
          FIXTURES,
        ],
        { detached: true, stdio: "ignore", env: { ...process.env, [MARKER_VAR]: marker } },
      );
      await waitFor(() => pidIn(lock) && existsSync(join(dir, "up")), 15_000, "both processes");
      const started = Date.now();
      const stopped = await killMarked([marker], method, 800);
      const took = Date.now() - started;
      expect(stopped.sort()).toEqual([holder.pid!, stubborn.pid!].sort());
      expect(existsSync(lock)).toBe(false);
      expect(isRunning(holder.pid!)).toBe(false);
      expect(isRunning(stubborn.pid!)).toBe(false);
      // The stubborn one had its whole grace, and not much more.
      expect(took).toBeGreaterThanOrEqual(800);
      expect(took).toBeLessThan(5000);
    },
    30_000,
  );
});
