import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cliVersion,
  compareVersions,
  newerThanTested,
  TESTED_VERSIONS,
} from "../src/agents/tested-versions.ts";

describe("tested CLI versions", () => {
  it("are the exact versions pinned in packages/core/package.json, and the README says so", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(TESTED_VERSIONS).toEqual({
      claude: pkg.devDependencies["@anthropic-ai/claude-code"],
      codex: pkg.devDependencies["@openai/codex"],
    });
    expect(TESTED_VERSIONS.claude).toMatch(/^\d+\.\d+\.\d+$/);
    expect(TESTED_VERSIONS.codex).toMatch(/^\d+\.\d+\.\d+$/);
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(
      `Tested with: Claude Code ${TESTED_VERSIONS.claude} (\`@anthropic-ai/claude-code\`) and codex-cli ${TESTED_VERSIONS.codex} (\`@openai/codex\`)`,
    );
  });

  it("reads the version out of each CLI's --version line", () => {
    expect(cliVersion("2.1.332 (Claude Code)")).toBe("2.1.332");
    expect(cliVersion("codex-cli 0.171.0")).toBe("0.171.0");
    expect(cliVersion("codex-cli 0.172.0-alpha.3")).toBe("0.172.0-alpha.3");
    expect(cliVersion("test")).toBeNull();
    expect(cliVersion(null)).toBeNull();
  });

  it("compares numerically, a pre-release before its release", () => {
    expect(compareVersions("0.175.0", "0.171.0")).toBeGreaterThan(0);
    expect(compareVersions("0.99.0", "0.171.0")).toBeLessThan(0);
    expect(compareVersions("2.1.332", "2.1.332")).toBe(0);
    expect(compareVersions("0.172.0-alpha.1", "0.172.0")).toBeLessThan(0);
    expect(compareVersions("0.172.0-alpha.1", "0.171.0")).toBeGreaterThan(0);
  });

  it("says when an installed CLI is newer than the tested one, and only then", () => {
    expect(newerThanTested("codex", "codex-cli 0.175.0", "0.171.0")).toBe(
      "codex 0.175.0 is newer than the tested 0.171.0",
    );
    expect(newerThanTested("codex", "codex-cli 0.171.0", "0.171.0")).toBeNull();
    expect(newerThanTested("claude", "2.1.300 (Claude Code)", "2.1.332")).toBeNull();
    expect(newerThanTested("claude", null, "2.1.332")).toBeNull();
  });
});
