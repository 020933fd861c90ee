import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface CliRun {
  code: Promise<number | null>;
  out: { stdout: string; stderr: string };
  /** Resolves with {code, stdout, stderr} when the process exits. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `pnpm loop …` as pnpm would (node main.ts), with `env` and `stdin`; killed when the test ends. */
export function cli(args: string[], env: Record<string, string>, stdin = ""): CliRun {
  const out = { stdout: "", stderr: "" };
  const child = spawn(process.execPath, [MAIN, ...args], {
    // The overrides start empty: the test's own environment must not leak in.
    env: { ...process.env, LOOP_URL: "", LOOP_TOKEN: "", PORT: "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  child.stdout.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr.on("data", (d) => {
    out.stderr += d;
  });
  child.stdin.end(stdin);
  const code = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  return { code, out, done: code.then((c) => ({ code: c, ...out })) };
}

/** A working directory holding a fake-CLI scenario. */
export function workdir(dir: string, name: string, scenario: object): string {
  const wd = join(dir, name);
  mkdirSync(wd, { recursive: true });
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario));
  return wd;
}
