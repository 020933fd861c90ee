import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";

/** A directory for a fake gh, removed after the test. */
export function ghDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "loop-gh-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fake `gh`: logs its arguments and stdin to calls.json, prints a PR address; `auth status` as told. */
export function fakeGh(
  dir: string,
  loggedIn = true,
  /** How long `gh auth status` takes (it asks GitHub). */
  authDelayMs = 0,
): { bin: string; calls: () => Array<{ argv: string[]; stdin: string }> } {
  const bin = join(dir, "fake-gh.mjs");
  const log = join(dir, "gh-calls.json");
  writeFileSync(
    bin,
    `#!/usr/bin/env node
import { appendFileSync, readFileSync } from "node:fs";
const argv = process.argv.slice(2);
let stdin = "";
if (argv[0] === "pr") stdin = readFileSync(0, "utf8");
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, stdin }) + "\\n");
if (argv[0] === "--version") { console.log("gh version 2.99.0 (2026-01-01)"); process.exit(0); }
if (argv[0] === "auth") await new Promise((r) => setTimeout(r, ${authDelayMs}));
if (argv[0] === "auth") { ${loggedIn ? "process.exit(0);" : 'console.error("You are not logged into any GitHub hosts. To log in, run: gh auth login"); process.exit(1);'} }
if (argv[0] === "pr") { console.log("https://github.com/example/repo/pull/7"); process.exit(0); }
process.exit(2);
`,
  );
  chmodSync(bin, 0o755);
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
      : [];
  return { bin, calls };
}
