// What every bench measure shares: the server as `pnpm start` runs it (a child process, so its RSS
// is its own), RSS sampling, SSE collection, API calls, seeded databases.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openRepositories } from "../../packages/db/src/index.ts";
import { connectEvents } from "../../packages/shared/src/event-client.ts";
import { isTerminal } from "../../packages/shared/src/statuses.ts";
import { ensureServerBuilt } from "../build-server.mjs";
import { SERVER_NODE_FLAGS } from "../server-flags.mjs";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURES = join(root, "packages/core/test/fixtures");
export const FAKE_CLAUDE = join(FIXTURES, "fake-claude.mjs");
export const FAKE_CODEX = join(FIXTURES, "fake-codex.mjs");
export const HELLO = join(root, "bench/baseline/hello.mjs");
export const TOKEN = "bench-token-0123456789abcdef";
export const MB = 1024 * 1024;
export const auth = { authorization: `Bearer ${TOKEN}` };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The p-quantile (0..1) of the samples, nearest rank. */
export function quantile(samples, p) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** RSS of a process in bytes: /proc on Linux, `ps` elsewhere (macOS). */
export function rss(pid) {
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
export function sampleRss(pid) {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await rss(pid));
      await sleep(20);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return peak;
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `script` (default: the bundled server `pnpm start` runs) the way `pnpm start` does: same
 * node, same flags. Resolves once GET /api/health answers 200, with the time that took from spawn.
 */
export async function startProcess(dir, { script, env = {} } = {}) {
  const entry = script ?? (await ensureServerBuilt());
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, entry], {
    env: {
      ...process.env,
      PORT: String(port),
      LOOP_TOKEN: TOKEN,
      LOOP_DB_PATH: join(dir, "loop.db"),
      LOOP_ARTIFACTS_DIR: join(dir, "loops"),
      LOOP_CLAUDE_BIN: FAKE_CLAUDE,
      LOOP_CODEX_BIN: FAKE_CODEX,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let exited = null;
  child.once("exit", (code) => {
    exited = code;
  });
  for (;;) {
    if (exited !== null) throw new Error(`${entry} exited with ${exited} before answering`);
    try {
      const res = await fetch(`${base}/api/health`, { headers: auth });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {}
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    base,
    pid: child.pid,
    readyMs,
    stop: () =>
      new Promise((resolve) => {
        if (exited !== null) return resolve();
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

/** The server, with start-up garbage settled and its resting RSS as `baseline`. */
export async function startServer(dir, env = {}) {
  const server = await startProcess(dir, { env });
  await sleep(1500);
  return { ...server, baseline: await rss(server.pid) };
}

/** Streams events until `until(received, batch)` holds; resolves with them. */
export function collect(url, until, lastEventId = 0) {
  return new Promise((resolve) => {
    const got = [];
    const client = connectEvents({
      url,
      lastEventId,
      headers: auth,
      onBatch(batch) {
        for (const e of batch) got.push(e);
        if (until(got, batch)) {
          client.close();
          resolve(got);
        }
      },
    });
  });
}

export async function api(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  return { status: res.status, json };
}

/** POST /api/tasks; throws unless 201. */
export async function submit(base, body) {
  const r = await api(base, "POST", "/api/tasks", body);
  if (r.status !== 201) throw new Error(`POST /api/tasks: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.task;
}

/** Polls the task until it is in a terminal status (or paused); returns it. */
export async function waitFinished(base, id, timeoutMs = 300_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api(base, "GET", `/api/tasks/${id}`);
    if (isTerminal(json.task.status) || json.task.status === "paused") return json.task;
    if (Date.now() > until) throw new Error(`task ${id} still ${json.task.status}`);
    await sleep(200); // not faster: a task's full answer is large, and the server is being measured
  }
}

/** A fresh working directory holding a fake-CLI scenario. */
export function workdir(dir, scenario) {
  const wd = join(dir, "work");
  mkdirSync(wd, { recursive: true });
  writeFileSync(join(wd, ".fake-scenario.json"), JSON.stringify(scenario));
  return wd;
}

/** A database holding `tasks` finished tasks with `events` agent.output events spread over them. */
export function seed(dir, { tasks = 1, events }) {
  mkdirSync(dir, { recursive: true });
  const repos = openRepositories(join(dir, "loop.db"));
  const line = JSON.stringify({
    type: "assistant",
    message: { content: [{ type: "text", text: "x".repeat(160) }] },
  });
  const ids = [];
  repos.transaction(() => {
    for (let t = 0; t < tasks; t++) {
      const task = repos.tasks.create({
        title: `seeded ${t}`,
        prompt: "p",
        workingDir: dir,
        maxIterations: 1,
      });
      repos.tasks.update(task.id, {
        status: "done",
        statusReason: "seeded",
        finishedAt: new Date().toISOString(),
      });
      ids.push(task.id);
    }
  });
  // The rows repos.events.append writes, with the data serialised once: 1 000 000 of them in seconds.
  const data = JSON.stringify({
    agent: "claude",
    stream: "stdout",
    line,
    parsed: { kind: "text", text: "x".repeat(160) },
  });
  const insert = repos.handle.sqlite.prepare(
    "INSERT INTO events (task_id, iteration, type, ts, data) VALUES (?, 1, 'agent.output', ?, ?)",
  );
  const ts = new Date().toISOString();
  const perTask = Math.ceil(events / tasks);
  for (let start = 0; start < events; start += 50_000) {
    repos.transaction(() => {
      for (let i = start; i < Math.min(events, start + 50_000); i++)
        insert.run(ids[Math.floor(i / perTask)], ts, data);
    });
  }
  repos.handle.close();
  chmodSync(join(dir, "loop.db"), 0o600); // as the server makes it (it warns otherwise)
  return ids;
}
