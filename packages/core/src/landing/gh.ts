import type { GhHealth } from "@loop/shared";
import { execShort } from "../runner/exec.ts";

const lastLine = (s: string) => s.trim().split("\n").at(-1)?.trim() ?? "";

/** Whether the GitHub CLI at `bin` runs and is logged in (`gh --version`, `gh auth status`). */
export async function probeGh(bin: string): Promise<GhHealth> {
  const v = await execShort(bin, ["--version"], { timeoutMs: 10_000 });
  if (!v.started || v.exitCode !== 0) {
    const error = v.notFound
      ? `${bin} was not found (install the GitHub CLI or set LOOP_GH_BIN)`
      : `${bin} --version failed: ${lastLine(v.stderr) || v.message}`;
    return { bin, found: false, version: null, loggedIn: null, error };
  }
  const version = /version\s+(\S+)/.exec(v.stdout)?.[1] ?? (lastLine(v.stdout) || null);
  const a = await execShort(bin, ["auth", "status"], { timeoutMs: 20_000 });
  if (a.exitCode === 0) return { bin, found: true, version, loggedIn: true };
  const why = lastLine(a.stderr) || lastLine(a.stdout) || a.message;
  return {
    bin,
    found: true,
    version,
    loggedIn: false,
    error: `${bin} is not logged in (gh auth login): ${why}`,
  };
}

/** `gh pr create`; the body goes on stdin. Returns the pull request's address or gh's complaint. */
export async function createPr(
  bin: string,
  repo: string,
  pr: { head: string; base: string; title: string; body: string },
): Promise<{ ok: true; url: string } | { ok: false; error: string }> {
  const r = await execShort(
    bin,
    ["pr", "create", "--head", pr.head, "--base", pr.base, "--title", pr.title, "--body-file", "-"],
    { timeoutMs: 120_000, cwd: repo, input: pr.body },
  );
  const url = r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^https?:\/\//.test(l))
    .at(-1);
  if (r.exitCode === 0 && url) return { ok: true, url };
  return { ok: false, error: lastLine(r.stderr) || lastLine(r.stdout) || r.message || "no address printed" };
}
