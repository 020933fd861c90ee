import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import { FAKE_CLAUDE, FAKE_CODEX, TEST_TOKEN, waitFor } from "./helpers.ts";

const SERVER = fileURLToPath(new URL("../src/server.ts", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
  /** http://127.0.0.1:<port>, once the start-up line is printed. */
  base: string;
  /** The token in that line. */
  token: string;
  api(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: number; json: Record<string, any> }>;
}

/** Starts server.ts as a real process on port 0 with the fake CLIs; killed when the test ends. */
export async function startServer(dir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const out = { stdout: "", stderr: "" };
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      PORT: "0",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: `${dir}/loop.db`,
      LOOP_ARTIFACTS_DIR: `${dir}/loops`,
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      LOOP_KILL_GRACE_MS: "300",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  child.stdout!.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr!.on("data", (d) => {
    out.stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const url = await Promise.race([
    waitFor(
      () => out.stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/),
      30_000,
      "the URL line",
    ),
    exited.then((code) => {
      throw new Error(`server exited with ${code} before listening: ${out.stderr}`);
    }),
  ]);
  const base = url[1]!;
  const token = url[2]!;
  return {
    child,
    out,
    exited,
    base,
    token,
    async api(path, init = {}) {
      const res = await fetch(`${base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body !== undefined && { "content-type": "application/json" }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    },
  };
}
