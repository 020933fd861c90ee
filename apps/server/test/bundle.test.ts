/**
 * `pnpm start` runs the bundled server (apps/server/dist/server.mjs, made by scripts/build-server.mjs),
 * not the TypeScript sources: these tests start it the way a person does and check that what the
 * bundle finds at runtime (migrations, the SPA, the package version) is found.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ensureServerBuilt, SERVER_BUNDLE, serverIsFresh } from "../../../scripts/build-server.mjs";
import { FAKE_CLAUDE, FAKE_CODEX, TEST_TOKEN, waitFor } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The processes `pid` started (Linux: /proc). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");

describe("the bundled server", () => {
  it.skipIf(process.platform !== "linux")(
    "is what `pnpm start` runs: migrations applied, the SPA and the version found, SIGTERM exits 0",
    async () => {
      dir = mkdtempSync(join(tmpdir(), "loop-bundle-"));
      let stdout = "";
      let stderr = "";
      child = spawn(process.execPath, [join(ROOT, "scripts/start.mjs")], {
        env: {
          ...process.env,
          LOG_LEVEL: "warn",
          PORT: "0",
          LOOP_TOKEN: TEST_TOKEN,
          LOOP_DB_PATH: join(dir, "loop.db"),
          LOOP_ARTIFACTS_DIR: join(dir, "loops"),
          LOOP_CLAUDE_BIN: FAKE_CLAUDE,
          LOOP_CODEX_BIN: FAKE_CODEX,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.on("data", (d) => {
        stdout += d;
      });
      child.stderr!.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
      const url = await waitFor(
        () => stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\//),
        110_000,
        `the URL line (stderr: ${stderr})`,
      );
      const base = url[1]!;

      // The server is the start script's child running the bundle (not the TypeScript sources).
      expect(childrenOf(child.pid!).map(cmdline)).toContainEqual(expect.arrayContaining([SERVER_BUNDLE]));
      expect(serverIsFresh()).toBe(true);

      const auth = { authorization: `Bearer ${TEST_TOKEN}` };
      const health = await fetch(`${base}/api/health`, { headers: auth });
      expect(health.status).toBe(200);
      const version = JSON.parse(readFileSync(join(ROOT, "apps/server/package.json"), "utf8")).version;
      expect(((await health.json()) as { version: string }).version).toBe(version);
      // A fresh database: the migrations (found at runtime in drizzle/) were applied.
      const list = await fetch(`${base}/api/tasks`, { headers: auth });
      expect(list.status).toBe(200);
      // start.mjs built the SPA when it was missing; the bundle serves it from apps/web/dist.
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toBe(readFileSync(join(ROOT, "apps/web/dist/index.html"), "utf8"));

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
    120_000,
  );

  it("loads only the config and the CLI checks before it begins them: Fastify and the database come later", async () => {
    await ensureServerBuilt();
    const dist = dirname(SERVER_BUNDLE);
    // main.mjs and every chunk it imports statically (not `import("./chunk-…")`).
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(dist, file), "utf8");
      for (const m of text.matchAll(/(?:from|import)\s*"\.\/(chunk-[\w-]+\.mjs)"/g)) visit(m[1]!);
    };
    visit("main.mjs");
    const first = [...seen].map((f) => readFileSync(join(dist, f), "utf8")).join("\n");
    expect(first).toContain("agentAvailability");
    expect(first).not.toContain("fastify/fastify.js");
    expect(first).not.toContain('"better-sqlite3"');
    expect(readFileSync(join(dist, "main.mjs"), "utf8")).toMatch(/import\("\.\/chunk-[\w-]+\.mjs"\)/);
  }, 60_000);

  it("is rebuilt when it is older than a source it was made from", async () => {
    await ensureServerBuilt();
    expect(existsSync(SERVER_BUNDLE)).toBe(true);
    const old = new Date(Date.now() - 3600_000 * 24 * 365 * 10);
    utimesSync(SERVER_BUNDLE, old, old);
    expect(serverIsFresh()).toBe(false);
    await ensureServerBuilt();
    expect(serverIsFresh()).toBe(true);
    expect(statSync(SERVER_BUNDLE).mtimeMs).toBeGreaterThan(old.getTime());
  }, 60_000);
});
