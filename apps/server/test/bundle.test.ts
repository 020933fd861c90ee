/**
 * `pnpm start` runs the bundled server (apps/server/dist/server.mjs, made by scripts/build-server.mjs),
 * not the TypeScript sources: these tests start it the way a person does and check that what the
 * bundle finds at runtime (migrations, the SPA, the package version) is found.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ensureServerBuilt, SERVER_BUNDLE, serverIsFresh } from "../../../scripts/build-server.mjs";
import { SERVER_NODE_FLAGS } from "../../../scripts/server-flags.mjs";
import { FAKE_CLAUDE, FAKE_CODEX, TEST_TOKEN, waitFor } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let child: ChildProcess | undefined;
let dir: string | undefined;
const started: { proc?: ChildProcess; dir: string }[] = [];
afterEach(() => {
  child?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const s of started.splice(0)) {
    s.proc?.kill("SIGKILL");
    rmSync(s.dir, { recursive: true, force: true });
  }
});

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

/** A file of CommonJS for `node --require`, at the same path for every start (Node's flags key the code cache). */
function preloadFile(code: string): string {
  const d = mkdtempSync(join(tmpdir(), "loop-preload-"));
  started.push({ dir: d });
  writeFileSync(join(d, "preload.cjs"), code);
  return join(d, "preload.cjs");
}

/** Runs the bundle as `pnpm start` does, with `preload` required first; resolves once it listens. */
async function startBundle(preload: string) {
  await ensureServerBuilt();
  const d = mkdtempSync(join(tmpdir(), "loop-bundle-"));
  let stdout = "";
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, "--require", preload, SERVER_BUNDLE], {
    env: {
      ...process.env,
      LOG_LEVEL: "warn",
      PORT: "0",
      LOOP_TOKEN: TEST_TOKEN,
      LOOP_DB_PATH: join(d, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(d, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      ORDER_FILE: join(d, "order.txt"),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  proc.stdout!.on("data", (c) => {
    stdout += c;
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  started.push({ proc, dir: d });
  const url = await waitFor(
    () => stdout.match(/loop is running: (http:\/\/127\.0\.0\.1:\d+)\//),
    60_000,
    "the URL line",
  );
  return {
    base: url[1]!,
    dir: d,
    stop: async () => {
      proc.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
  };
}

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

  it("begins the CLI checks before it loads the rest: the database comes later", async () => {
    // A preload records, in order, the processes the server spawns and its require() of the
    // database's native addon (the bundle's one external module, loaded with the app).
    const {
      base,
      stop,
      dir: d,
    } = await startBundle(
      preloadFile(`
      const cp = require("node:child_process");
      const Module = require("node:module");
      const seen = [];
      const spawn = cp.spawn;
      cp.spawn = function (file, ...rest) { seen.push("spawn " + file); return spawn.call(this, file, ...rest); };
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (request === "better-sqlite3") seen.push("better-sqlite3");
        return load.call(this, request, ...rest);
      };
      process.on("exit", () => require("node:fs").writeFileSync(process.env.ORDER_FILE, seen.join("\\n")));
    `),
    );
    expect((await fetch(`${base}/api/health`, { headers: auth })).status).toBe(200);
    await stop();
    const seen = readFileSync(join(d, "order.txt"), "utf8").split("\n");
    const db = seen.indexOf("better-sqlite3");
    expect(db, seen.join(", ")).toBeGreaterThan(0);
    for (const bin of [FAKE_CLAUDE, FAKE_CODEX]) {
      expect(seen.indexOf(`spawn ${bin}`), seen.join(", ")).toBeGreaterThanOrEqual(0);
      expect(seen.indexOf(`spawn ${bin}`), seen.join(", ")).toBeLessThan(db);
    }
  }, 60_000);

  it("starts from a V8 code cache made after its first start; a bad cache is replaced, not trusted", async () => {
    await ensureServerBuilt();
    const { bundle } = JSON.parse(readFileSync(join(dirname(SERVER_BUNDLE), "server.meta.json"), "utf8"));
    const cacheDir = join(dirname(SERVER_BUNDLE), ".v8-cache");
    const ours = () =>
      (existsSync(cacheDir) ? readdirSync(cacheDir) : []).filter(
        (f) => f.startsWith(`${bundle}.`) && !f.endsWith(".tmp"),
      );
    // The preload reports whether V8 took the cache it was given.
    const preload = preloadFile(`
      const vm = require("node:vm");
      const Script = vm.Script;
      vm.Script = class extends Script {
        constructor(code, options) {
          super(code, options);
          require("node:fs").writeFileSync(process.env.ORDER_FILE, options?.cachedData ? (this.cachedDataRejected ? "rejected" : "accepted") : "none");
        }
      };
    `);
    // The preload's path is in Node's flags, which key the cache: this test's file is its own.
    const before = new Set(ours());
    const first = await startBundle(preload);
    expect(readFileSync(join(first.dir, "order.txt"), "utf8")).toBe("none");
    const [file] = await waitFor(
      () => {
        const made = ours().filter((f) => !before.has(f));
        return made.length > 0 && made;
      },
      20_000,
      "the code cache written",
    );
    started.push({ dir: join(cacheDir, file!) });
    await first.stop();

    const second = await startBundle(preload);
    expect(readFileSync(join(second.dir, "order.txt"), "utf8")).toBe("accepted");
    await second.stop();

    writeFileSync(join(cacheDir, file!), "not a code cache");
    const third = await startBundle(preload);
    expect(readFileSync(join(third.dir, "order.txt"), "utf8")).toBe("rejected");
    expect((await fetch(`${third.base}/api/health`, { headers: auth })).status).toBe(200);
    await waitFor(
      () => readFileSync(join(cacheDir, file!), "utf8") !== "not a code cache",
      20_000,
      "the bad cache replaced",
    );
    await third.stop();
  }, 90_000);

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
