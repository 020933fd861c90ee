// The dashboard: what a browser downloads before the first paint, and how many log rows a
// 100 000-line log puts in the DOM (a real Chromium, as apps/web/e2e does).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { root, startServer, submit, TOKEN, waitFinished, workdir } from "./lib.mjs";

const DIST = join(root, "apps/web/dist");

function ensureWebBuilt() {
  if (existsSync(join(DIST, "index.html"))) return;
  const r = spawnSync("pnpm", ["--filter", "@loop/web", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("web build failed");
}

/** Initial JS of the production build: the entry and its modulepreloads, gzip -9. */
export async function spaSize() {
  ensureWebBuilt();
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const srcs = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1] ?? m[2]);
  const files = srcs.map((src) => readFileSync(join(DIST, src)));
  const gz = files.reduce((n, f) => n + gzipSync(f, { level: 9 }).length, 0);
  const raw = files.reduce((n, f) => n + f.length, 0);
  return {
    spa_js_gzip_kb: {
      value: gz / 1024,
      ok: srcs.length > 0,
      note: `${srcs.length} file(s), ${(raw / 1024).toFixed(0)} KB raw`,
    },
  };
}

/** Chromium opens a task whose claude run printed 100 000 lines; counts the rendered log rows. */
export async function logDomRows(dir) {
  ensureWebBuilt();
  // playwright-core is apps/web's dev dependency (CommonJS: its exports are on the default export).
  const pw = await import(createRequire(join(root, "apps/web/package.json")).resolve("playwright-core"));
  const { chromium } = pw.default ?? pw;
  const server = await startServer(dir);
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.LOOP_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    const wd = workdir(dir, {
      claude: [{ kind: "flood", lines: 100_000 }],
      codex: [{ kind: "review", text: "STATUS: DONE" }],
    });
    const task = await submit(server.base, { title: "flood", prompt: "p", workingDir: wd, maxIterations: 1 });
    await waitFinished(server.base, task.id);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.base}/?token=${TOKEN}`);
    await page.goto(`${server.base}/tasks/${task.id}`);
    const log = page.getByRole("log", { name: "Claude output, iteration 1" });
    await log.getByText("line 100000").waitFor({ timeout: 120_000 });
    const rows = await page.locator(".log-line").count();
    return { log_dom_rows: { value: rows, ok: rows > 10, note: "rows with the log open at its tail" } };
  } finally {
    await browser?.close();
    await server.stop();
  }
}
