// `pnpm bench`: speed and memory figures for the event pipeline, measured against the real server
// (a child process, so its RSS is its own) with the fake CLIs. Exits 1 when a target is missed.
//
//   replay   N stored events streamed to a client from Last-Event-ID 0: time, server RSS growth
//   slow     clients that stop reading: the server's RSS must not grow with what they miss
//   live     a claude run printing 100 000 lines: every line reaches a connected client
//   latency  an agent line printed → the same line received by an SSE client
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { openRepositories } from "../packages/db/src/index.ts";
import { connectEvents } from "../packages/shared/src/event-client.ts";
import { SERVER_NODE_FLAGS } from "./server-flags.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(root, "packages/core/test/fixtures");
const TOKEN = "bench-token-0123456789abcdef";
const MB = 1024 * 1024;

/** Targets: a history 10× longer (100k → 1M events) must not cost more memory than this. */
const MAX_REPLAY_GROWTH_MB = 64;
const MAX_SLOW_CLIENT_GROWTH_MB = 64;
const MAX_P95_LATENCY_MS = 250;
/** The JS a browser loads before the first paint (entry + modulepreloads), gzipped. */
const MAX_INITIAL_JS_GZIP_KB = 150;

const failures = [];
const results = [];
const work = mkdtempSync(join(tmpdir(), "loop-bench-"));

/** RSS of a process in bytes: /proc on Linux, `ps` elsewhere (macOS). */
function rss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {}
  return new Promise((resolve) => {
    const ps = spawn("ps", ["-o", "rss=", "-p", String(pid)]);
    let out = "";
    ps.stdout.on("data", (d) => {
      out += d;
    });
    ps.on("close", () => resolve(Number(out.trim()) * 1024));
  });
}

/** Samples a process's RSS every 20 ms until stopped; returns the peak. */
function sampleRss(pid) {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await rss(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return peak;
  };
}

async function startServer(name, env = {}) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  // The flags `pnpm start` uses: this measures the server as users run it.
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(root, "apps/server/src/server.ts")], {
    env: {
      ...process.env,
      PORT: "0",
      LOOP_TOKEN: TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: join(FIXTURES, "fake-claude.mjs"),
      LOOP_CODEX_BIN: join(FIXTURES, "fake-codex.mjs"),
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /loop is running: (http:\/\/[^/]+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  // Let start-up garbage settle before the baseline.
  await new Promise((r) => setTimeout(r, 1500));
  return {
    base,
    pid: child.pid,
    baseline: await rss(child.pid),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** Streams events until `until(received)` holds; resolves with them. */
function collect(url, until, lastEventId = 0) {
  return new Promise((resolve) => {
    const got = [];
    const client = connectEvents({
      url,
      lastEventId,
      headers: auth,
      onBatch(batch) {
        for (const e of batch)
          got.push(e.type === "agent.output" ? { id: e.id, line: e.data.line } : { id: e.id });
        if (until(got, batch)) {
          client.close();
          resolve(got);
        }
      },
    });
  });
}

async function api(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function seed(name, n) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const repos = openRepositories(join(dir, "loop.db"));
  const task = repos.tasks.create({ title: "seeded", prompt: "p", workingDir: dir, maxIterations: 1 });
  repos.tasks.update(task.id, {
    status: "done",
    statusReason: "seeded",
    finishedAt: new Date().toISOString(),
  });
  const line = JSON.stringify({
    type: "assistant",
    message: { content: [{ type: "text", text: "x".repeat(160) }] },
  });
  repos.transaction(() => {
    for (let i = 0; i < n; i++) {
      repos.events.append({
        taskId: task.id,
        iteration: 1,
        type: "agent.output",
        data: { agent: "claude", stream: "stdout", line, parsed: { kind: "text", text: "x".repeat(160) } },
      });
    }
  });
  repos.handle.close();
  return task.id;
}

async function replay(n, clients = 1) {
  const name = `replay-${n}-${clients}`;
  const taskId = seed(name, n);
  const server = await startServer(name);
  const stopSampling = sampleRss(server.pid);
  const started = performance.now();
  const all = await Promise.all(
    Array.from({ length: clients }, () =>
      collect(`${server.base}/api/tasks/${taskId}/events`, (got) => got.length >= n),
    ),
  );
  const ms = performance.now() - started;
  const peak = await stopSampling();
  await server.stop();
  for (const got of all) {
    if (got.length !== n || got.some((e, i) => i > 0 && e.id <= got[i - 1].id)) {
      failures.push(`replay ${n}: got ${got.length} events or out of order`);
    }
  }
  const growth = (peak - server.baseline) / MB;
  results.push({
    bench: `replay ${n.toLocaleString("en")} events × ${clients} client${clients > 1 ? "s" : ""}`,
    time: `${(ms / 1000).toFixed(2)} s (${Math.round((n * clients) / (ms / 1000)).toLocaleString("en")} events/s)`,
    rss: `baseline ${(server.baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB (+${growth.toFixed(0)} MB)`,
  });
  return growth;
}

async function slowClients(n, clients) {
  const name = "slow";
  const taskId = seed(name, n);
  const server = await startServer(name);
  const stopSampling = sampleRss(server.pid);
  const reqs = [];
  for (let i = 0; i < clients; i++) {
    await new Promise((resolve) => {
      const req = request(`${server.base}/api/tasks/${taskId}/events`, { headers: auth }, (res) => {
        res.pause(); // never reads: the server must not buffer the history for it
        resolve();
      });
      req.end();
      reqs.push(req);
    });
  }
  await new Promise((r) => setTimeout(r, 3000));
  const peak = await stopSampling();
  for (const r of reqs) r.destroy();
  await server.stop();
  const growth = (peak - server.baseline) / MB;
  results.push({
    bench: `${clients} clients that stop reading, ${n.toLocaleString("en")} events`,
    time: "3 s",
    rss: `baseline ${(server.baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB (+${growth.toFixed(0)} MB)`,
  });
  if (growth > MAX_SLOW_CLIENT_GROWTH_MB) failures.push(`slow clients grew RSS by ${growth.toFixed(0)} MB`);
}

function workdir(name, scenario) {
  const wd = join(work, name, "work");
  mkdirSync(wd, { recursive: true });
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario));
  return wd;
}

async function live(lines) {
  const server = await startServer("live");
  const wd = workdir("live", {
    claude: [{ kind: "flood", lines }],
    codex: [{ kind: "review", text: "STATUS: DONE" }],
  });
  const stopSampling = sampleRss(server.pid);
  const started = performance.now();
  const done = collect(`${server.base}/api/events`, (_got, batch) =>
    batch.some((e) => e.type === "task.finished"),
  );
  await api(server.base, "POST", "/api/tasks", {
    title: "flood",
    prompt: "p",
    workingDir: wd,
    maxIterations: 1,
  });
  const got = await done;
  const ms = performance.now() - started;
  const peak = await stopSampling();
  await server.stop();
  let next = 1;
  for (const e of got) {
    if (e.line?.includes(`"text":"line ${next}"`)) next++;
  }
  if (next - 1 !== lines) failures.push(`live: ${next - 1} of ${lines} lines arrived in order`);
  results.push({
    bench: `live run printing ${lines.toLocaleString("en")} lines`,
    time: `${(ms / 1000).toFixed(2)} s, ${(next - 1).toLocaleString("en")} lines in order`,
    rss: `baseline ${(server.baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB (+${((peak - server.baseline) / MB).toFixed(0)} MB)`,
  });
}

async function latency(lines, intervalMs) {
  const server = await startServer("latency");
  const wd = workdir("latency", {
    claude: [{ kind: "slow", lines, intervalMs, stamp: true }],
    codex: [{ kind: "review", text: "STATUS: DONE" }],
  });
  const samples = [];
  const done = new Promise((resolve) => {
    const client = connectEvents({
      url: `${server.base}/api/events`,
      headers: auth,
      onBatch(batch) {
        const now = Date.now();
        for (const e of batch) {
          const m =
            e.type === "agent.output" &&
            e.data.parsed?.kind === "text" &&
            / @(\d+)$/.exec(e.data.parsed.text);
          if (m) samples.push(now - Number(m[1]));
          if (e.type === "task.finished") {
            client.close();
            resolve();
          }
        }
      },
    });
  });
  await api(server.base, "POST", "/api/tasks", {
    title: "latency",
    prompt: "p",
    workingDir: wd,
    maxIterations: 1,
  });
  await done;
  await server.stop();
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  results.push({
    bench: `latency, agent line → SSE client (${samples.length} lines)`,
    time: `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${samples.at(-1)} ms`,
    rss: "",
  });
  if (samples.length !== lines) failures.push(`latency: ${samples.length} of ${lines} lines arrived`);
  if (q(0.95) > MAX_P95_LATENCY_MS) failures.push(`latency p95 ${q(0.95)} ms > ${MAX_P95_LATENCY_MS} ms`);
}

/** Initial JS of the production build: what index.html loads before anything lazy. */
function webSize() {
  const dist = join(root, "apps/web/dist");
  if (!existsSync(join(dist, "index.html"))) {
    const r = spawnSync("pnpm", ["--filter", "@loop/web", "build"], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) throw new Error("web build failed");
  }
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const srcs = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1] ?? m[2]);
  const gz = srcs.reduce((n, src) => n + gzipSync(readFileSync(join(dist, src)), { level: 9 }).length, 0);
  const raw = srcs.reduce((n, src) => n + readFileSync(join(dist, src)).length, 0);
  results.push({
    bench: `dashboard initial JS (${srcs.length} file${srcs.length > 1 ? "s" : ""})`,
    time: `${(gz / 1024).toFixed(1)} KB gzip (${(raw / 1024).toFixed(0)} KB raw)`,
    rss: "",
  });
  if (gz / 1024 > MAX_INITIAL_JS_GZIP_KB)
    failures.push(`initial JS ${(gz / 1024).toFixed(0)} KB gzip > ${MAX_INITIAL_JS_GZIP_KB}`);
}

try {
  webSize();
  const small = await replay(10_000);
  const large = await replay(100_000);
  const huge = await replay(1_000_000);
  if (huge - large > MAX_REPLAY_GROWTH_MB) {
    failures.push(
      `replay memory grows with history: +${small.toFixed(0)} MB at 10k, +${large.toFixed(0)} MB at 100k, +${huge.toFixed(0)} MB at 1M`,
    );
  }
  await replay(100_000, 4);
  await slowClients(100_000, 8);
  await live(100_000);
  await latency(200, 10);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const w = Math.max(...results.map((r) => r.bench.length));
console.log(`\nloop bench — Node ${process.versions.node}, ${process.platform}/${process.arch}\n`);
for (const r of results) console.log(`${r.bench.padEnd(w)}  ${r.time}${r.rss ? `  · RSS ${r.rss}` : ""}`);
if (failures.length) {
  console.error(`\nFAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("\nall targets met");
