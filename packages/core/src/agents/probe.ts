import type { AgentHealth } from "@loop/shared";
import { execShort } from "../runner/exec.ts";

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
  // A CLI's first start can be slow (a native binary unpacked, a busy machine): not a missing CLI.
  const timeout = opts.timeoutMs ?? 15_000;
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
      // It started but did not answer: there, but not working (checked again later).
      found: version.timedOut,
      version: null,
      loggedIn: null,
      error: notFound
        ? `${bin} not found; install ${agent} or set LOOP_${agent.toUpperCase()}_BIN`
        : `${bin} --version failed: ${version.timedOut ? `no answer in ${timeout} ms` : version.message}`,
    };
  }
  const said = (r: { stdout: string; stderr: string }) => words(`${r.stderr}\n${r.stdout}`);
  if (version.exitCode !== 0) {
    // Some setups answer --version with a login complaint: that CLI is there, just not logged in.
    const v = VERSION_RE.exec(`${version.stdout}\n${version.stderr}`)?.[0] ?? null;
    if (LOGIN_RE.test(said(version))) {
      return {
        bin,
        found: true,
        version: v ?? "unknown",
        loggedIn: false,
        error: notLoggedIn(agent, said(version)),
      };
    }
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
  return {
    bin,
    found: true,
    version: v,
    loggedIn,
    ...(loggedIn === false && { error: notLoggedIn(agent, loginWords(agent, login)) }),
  };
}

const VERSION_RE = /\d+\.\d+\.\d+[\w.+-]*/;
const LOGIN_RE = /\b(not logged in|log ?in|logged out|unauthori[sz]ed|authenticat)/i;

/** Output as one short line (what the CLI itself said). */
const words = (s: string): string =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("WARNING:"))
    .join(" ")
    .slice(0, 200);

/** What the login check said: codex prints "Not logged in"; claude prints JSON (loggedIn, authMethod). */
function loginWords(agent: "claude" | "codex", r: { stdout: string; stderr: string }): string {
  if (agent === "claude") {
    try {
      const j = JSON.parse(r.stdout) as { loggedIn?: boolean; authMethod?: string };
      return `loggedIn: ${String(j.loggedIn)}, authMethod: ${j.authMethod ?? "?"}`;
    } catch {
      // Not JSON: its own words below.
    }
  }
  return words(`${r.stderr}\n${r.stdout}`) || "not logged in";
}

function notLoggedIn(agent: "claude" | "codex", said: string): string {
  const check = agent === "claude" ? "claude auth status" : "codex login status";
  return `not logged in (${check}: "${said}"); fine if you use an API key or a custom provider`;
}
