import { readFileSync } from "node:fs";

/**
 * The CLI versions the compatibility suite (packages/core/compat) passes with: the exact versions
 * pinned as this package's devDependencies, the one place they are recorded (the README's
 * "Tested with" line is checked against them).
 */
export const TESTED_VERSIONS: { readonly claude: string; readonly codex: string } = (() => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  return {
    claude: pkg.devDependencies["@anthropic-ai/claude-code"] ?? "0.0.0",
    codex: pkg.devDependencies["@openai/codex"] ?? "0.0.0",
  };
})();

/** "2.1.332 (Claude Code)" → "2.1.332"; "codex-cli 0.171.0" → "0.171.0"; null when there is none. */
export function cliVersion(versionOutput: string | null): string | null {
  return /\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b/.exec(versionOutput ?? "")?.[1] ?? null;
}

/** Compares x.y.z numerically; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = "", pre] = v.split("-", 2);
    return { nums: core.split(".").map((n) => Number(n) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/**
 * "codex 0.175.0 is newer than the tested 0.171.0" when the installed CLI is newer than the newest
 * version the compatibility suite passed with; null when it is not (or its version is unknown).
 */
export function newerThanTested(
  agent: "claude" | "codex",
  versionOutput: string | null,
  tested: string = TESTED_VERSIONS[agent],
): string | null {
  const v = cliVersion(versionOutput);
  if (!v || compareVersions(v, tested) <= 0) return null;
  return `${agent} ${v} is newer than the tested ${tested}`;
}
