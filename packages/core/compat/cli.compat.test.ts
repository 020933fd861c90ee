import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { TESTED_VERSIONS } from "../src/agents/tested-versions.ts";
import { realClis } from "./clis.ts";
import { cliSandbox } from "./harness.ts";
import { startModelServer } from "./model-server.ts";

/** The real CLIs run directly (not through loop), for what loop relies on before it starts them. */
async function sandbox() {
  const model = await startModelServer();
  const s = cliSandbox(model.url);
  onTestFinished(async () => {
    await model.close();
    rmSync(s.dir, { recursive: true, force: true });
  });
  return { ...s, model };
}

describe("the real CLIs on their own", () => {
  const clis = realClis();

  it("are the versions under test: the pinned ones unless --latest installed others", async () => {
    const { env } = await sandbox();
    const claude = execFileSync(clis.claude.bin, ["--version"], { env, encoding: "utf8" });
    const codex = execFileSync(clis.codex.bin, ["--version"], { env, encoding: "utf8" });
    expect(claude.trim()).toBe(`${clis.claude.version} (Claude Code)`);
    expect(codex.trim()).toBe(`codex-cli ${clis.codex.version}`);
    if (!process.env.LOOP_COMPAT_CLI_DIR) {
      expect({ claude: clis.claude.version, codex: clis.codex.version }).toEqual(TESTED_VERSIONS);
    }
  });

  it("codex refuses a directory outside git without --skip-git-repo-check (so loop always passes it)", async () => {
    const { env, dir, model } = await sandbox();
    const wd = join(dir, "not-a-repo");
    mkdirSync(wd);
    const args = ["exec", "--sandbox", "read-only", "--json", "-o", join(dir, "out.md"), "-C", wd, "-"];
    const r = spawnSync(clis.codex.bin, args, { env, cwd: wd, input: "Review", encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Not inside a trusted directory and --skip-git-repo-check was not specified.");
    expect(model.calls("codex")).toEqual([]);
  });

  it("login checks: claude counts an API key as logged in, codex with a custom provider says it is not", async () => {
    const { env } = await sandbox();
    const claude = spawnSync(clis.claude.bin, ["auth", "status"], { env, encoding: "utf8" });
    expect(claude.status).toBe(0);
    expect(JSON.parse(claude.stdout)).toMatchObject({
      loggedIn: true,
      authMethod: "api_key",
      apiKeySource: "ANTHROPIC_API_KEY",
    });
    const codex = spawnSync(clis.codex.bin, ["login", "status"], { env, encoding: "utf8" });
    expect(codex.status).toBe(1);
    expect(codex.stderr).toContain("Not logged in");
  });
});
