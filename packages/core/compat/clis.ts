import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** packages/core: its devDependencies pin the CLI versions the suite runs (TESTED_VERSIONS reads them). */
const CORE = fileURLToPath(new URL("../", import.meta.url));

export const CLI_PACKAGES = { claude: "@anthropic-ai/claude-code", codex: "@openai/codex" } as const;

export interface RealCli {
  /** The executable loop is pointed at (LOOP_CLAUDE_BIN / LOOP_CODEX_BIN). */
  bin: string;
  /** The npm package's version. */
  version: string;
}

/**
 * The real CLIs under test: the pinned ones installed with the workspace, or the ones installed in
 * LOOP_COMPAT_CLI_DIR (`pnpm test:compat --latest` installs the newest there).
 */
export function realClis(dir = process.env.LOOP_COMPAT_CLI_DIR || CORE): { claude: RealCli; codex: RealCli } {
  const find = (agent: "claude" | "codex"): RealCli => {
    const pkgDir = join(dir, "node_modules", CLI_PACKAGES[agent]);
    const manifest = join(pkgDir, "package.json");
    if (!existsSync(manifest)) {
      throw new Error(`${CLI_PACKAGES[agent]} is not installed in ${dir}; run pnpm install`);
    }
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
      version: string;
      bin: string | Record<string, string>;
    };
    const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin[agent];
    if (!rel) throw new Error(`${CLI_PACKAGES[agent]} declares no "${agent}" bin`);
    return { bin: join(pkgDir, rel), version: pkg.version };
  };
  return { claude: find("claude"), codex: find("codex") };
}
