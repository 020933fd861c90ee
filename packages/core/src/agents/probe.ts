import type { AgentHealth } from "@loop/shared";
import { execShort } from "../runner/index.ts";

/**
 * Health of one CLI: `--version` and its login check (`claude auth status` / `codex login
 * status`). Not being logged in is reported, not treated as broken: API-key or custom-provider
 * setups run without a stored login.
 */
export async function probeAgent(
  agent: "claude" | "codex",
  bin: string,
  opts: { timeoutMs?: number; cwd?: string } = {},
): Promise<AgentHealth> {
  const timeout = opts.timeoutMs ?? 5000;
  const run = (args: string[]) => execShort(bin, args, { timeoutMs: timeout, cwd: opts.cwd });
  // Both at once: the first /api/health waits for the slower one, not for their sum (each is a
  // CLI start-up, ~100 ms for a Node CLI). A login check of a missing CLI is simply ignored.
  const [version, login] = await Promise.all([
    run(["--version"]),
    run(agent === "claude" ? ["auth", "status"] : ["login", "status"]),
  ]);
  if (!version.started) {
    const notFound = version.notFound;
    return {
      bin,
      found: false,
      version: null,
      loggedIn: null,
      error: notFound
        ? `${bin} not found; install ${agent} or set LOOP_${agent.toUpperCase()}_BIN`
        : `${bin} --version failed: ${version.timedOut ? `no answer in ${timeout} ms` : version.message}`,
    };
  }
  if (version.exitCode !== 0) {
    return {
      bin,
      found: true,
      version: null,
      loggedIn: null,
      error: `${bin} --version exited with code ${version.exitCode}: ${String(
        version.stderr || version.stdout,
      )
        .trim()
        .slice(0, 300)}`,
    };
  }
  const v = String(version.stdout).trim().split("\n")[0] ?? "";
  let loggedIn: boolean | null = login.exitCode === 0;
  if (agent === "claude") {
    try {
      loggedIn = JSON.parse(String(login.stdout)).loggedIn === true;
    } catch {
      loggedIn = login.timedOut ? null : login.exitCode === 0;
    }
  }
  const check = agent === "claude" ? "claude auth status" : "codex login status";
  return {
    bin,
    found: true,
    version: v,
    loggedIn,
    ...(loggedIn === false && {
      error: `not logged in (${check}); fine if you use an API key or a custom provider`,
    }),
  };
}
