// The event pipeline on the real server: replaying a long history, many live browsers, a huge agent
// output, the task list with a big database, clients that stop reading.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { bulkLines, bulkResult } from "../../packages/core/test/fixtures/bulk.mjs";
import { openDatabase } from "../../packages/db/src/index.ts";
import {
  api,
  auth,
  collect,
  MB,
  quantile,
  sampleRss,
  seed,
  sleep,
  startServer,
  submit,
  waitFinished,
  workdir,
} from "./lib.mjs";

/**
 * The ids of the first `n` events of an SSE stream, read as plain HTTP (a parsing client in this
 * process would be the bottleneck, not the server).
 */
function readIds(url, n) {
  return new Promise((resolve, reject) => {
    const ids = [];
    let tail = "";
    const req = request(url, { headers: { ...auth, "last-event-id": "0" } }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        const all = tail + chunk;
        const cut = all.lastIndexOf("\n") + 1;
        for (const m of all.slice(0, cut).matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
        tail = all.slice(cut);
        if (ids.length >= n) {
          res.destroy();
          resolve(ids);
        }
      });
      res.on("end", () => resolve(ids));
    });
    req.on("error", (e) => (ids.length >= n ? undefined : reject(e)));
    req.end();
  });
}

/** Reconnecting with Last-Event-ID 0 to a task with `n` stored events: time to the last, RSS growth. */
export async function replay(dir, n = 100_000) {
  const [taskId] = seed(dir, { events: n });
  const server = await startServer(dir);
  const stopSampling = sampleRss(server.pid);
  const started = performance.now();
  const got = await readIds(`${server.base}/api/tasks/${taskId}/events`, n);
  const ms = performance.now() - started;
  const peak = await stopSampling();
  await server.stop();
  const ordered = got.length === n && got.every((id, i) => i === 0 || id > got[i - 1]);
  const growth = (peak - server.baseline) / MB;
  const note = `${Math.round(n / (ms / 1000)).toLocaleString("en")} events/s; RSS ${(server.baseline / MB).toFixed(0)} → ${(peak / MB).toFixed(0)} MB${ordered ? "" : `; got ${got.length} events or out of order`}`;
  return {
    replay_100k_ms: { value: ms, ok: ordered, note },
    replay_rss_mb: { value: growth, ok: ordered, note },
  };
}

/**
 * An agent prints a stamped line every 20 ms; 100 open SSE clients each note when it arrives.
 * The clients are plain HTTP readers scanning for the stamp, so the figure is the server's, not a
 * parser's in this process.
 */
export async function lineLatency(dir, clients = 100, lines = 200) {
  const server = await startServer(dir, { LOOP_SSE_MAX_CONNECTIONS: "200" });
  const samples = [];
  const counts = new Array(clients).fill(0);
  const reqs = [];
  let finished = 0;
  const allDone = new Promise((resolve) => {
    for (let c = 0; c < clients; c++) {
      const req = request(
        `${server.base}/api/events`,
        { headers: { ...auth, accept: "text/event-stream" } },
        (res) => {
          let tail = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => {
            const now = Date.now();
            const all = tail + chunk;
            // Only whole lines: a stamp cut by the chunk's end is read with the next chunk.
            const cut = all.lastIndexOf("\n") + 1;
            const text = all.slice(0, cut);
            tail = all.slice(cut);
            // The parsed text (unescaped quotes), not the raw line that carries it too.
            for (const m of text.matchAll(/"text":"slow line \d+ @(\d+)"/g)) {
              samples.push(now - Number(m[1]));
              counts[c]++;
            }
            if (text.includes('"type":"task.finished"')) {
              finished++;
              if (finished === clients) resolve();
              res.destroy();
            }
          });
        },
      );
      req.on("error", () => undefined);
      req.end();
      reqs.push(req);
    }
  });
  await sleep(500); // every client connected and past its (empty) replay
  const wd = workdir(dir, {
    claude: [{ kind: "slow", lines, intervalMs: 20, stamp: true }],
    codex: [{ kind: "review", text: "STATUS: DONE" }],
  });
  await submit(server.base, { title: "latency", prompt: "p", workingDir: wd, maxIterations: 1 });
  await Promise.race([allDone, sleep(120_000)]);
  for (const r of reqs) r.destroy();
  await server.stop();
  const complete = counts.every((n) => n === lines);
  return {
    line_latency_p99_ms: {
      value: quantile(samples, 0.99),
      ok: complete,
      note: `${samples.length} deliveries (${lines} lines × ${clients} clients): p50 ${quantile(samples, 0.5)} ms, max ${Math.max(...samples)} ms${complete ? "" : `; some clients missed lines (min ${Math.min(...counts)})`}`,
    },
  };
}

/**
 * An agent writes ~200 MB (short and long lines): the server's peak RSS; stored lines byte-exact.
 * BENCH_BIG_MB makes it smaller while developing the bench.
 */
export async function bigOutput(dir, bytes = Number(process.env.BENCH_BIG_MB ?? 200) * MB) {
  const server = await startServer(dir, { LOOP_MAX_OUTPUT_MB: "1024" });
  const step = { kind: "bulk", bytes };
  const wd = workdir(dir, { claude: [step], codex: [{ kind: "review", text: "STATUS: DONE" }] });
  const stopSampling = sampleRss(server.pid);
  const task = await submit(server.base, { title: "bulk", prompt: "p", workingDir: wd, maxIterations: 1 });
  const done = await waitFinished(server.base, task.id, 480_000);
  const peak = await stopSampling();
  await server.stop();

  // What fake-claude printed, rebuilt; what the server stored, read back from the database.
  const session = "00000000-0000-4000-8000-000000000001";
  const printed = createHash("sha256");
  let printedLines = 0;
  for (const line of bulkLines(step, session)) {
    printed.update(`${line}\n`);
    printedLines++;
  }
  const stored = createHash("sha256");
  let storedLines = 0;
  let current = "";
  let bulk = false;
  const db = openDatabase(join(dir, "loop.db"), { migrate: false });
  const rows = db.sqlite
    .prepare("SELECT data FROM events WHERE task_id = ? AND type = 'agent.output' ORDER BY id")
    .iterate(task.id);
  for (const { data } of rows) {
    const d = JSON.parse(data);
    if (d.agent !== "claude" || d.stream !== "stdout") continue;
    // A line longer than 64 KiB is stored as pieces: the first, then `continuation`s, the last `final`.
    if (d.continuation) current += d.line;
    else {
      current = d.line;
      bulk = current.startsWith('{"type":"assistant","message":{"id":"msg_bulk"'); // not the result line
    }
    if (d.final === false || !bulk) continue;
    stored.update(`${current}\n`);
    storedLines++;
  }
  db.close();
  const artifact = readFileSync(join(dir, "loops", task.id, "001-claude-output.md"), "utf8");
  const linesExact = printedLines === storedLines && printed.digest("hex") === stored.digest("hex");
  const artifactExact = artifact === `${bulkResult(step)}\n`;
  const ok = done.status === "done" && linesExact && artifactExact;
  return {
    big_output_rss_mb: {
      value: peak / MB,
      ok,
      note: `${(bytes / MB).toFixed(0)} MB in ${printedLines.toLocaleString("en")} lines; stored lines ${linesExact ? "byte-exact" : `DIFFER (${storedLines} stored)`}, artifact ${artifactExact ? "byte-exact" : "DIFFERS"}; task ${done.status}`,
    },
  };
}

/** GET /api/tasks (one page) with 10 000 tasks and 1 000 000 events in the database. */
export async function listTasks(dir, tasks = 10_000, events = 1_000_000) {
  seed(dir, { tasks, events });
  const server = await startServer(dir);
  const times = [];
  let ok = true;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = await api(server.base, "GET", "/api/tasks");
    times.push(performance.now() - t0);
    ok &&= r.status === 200 && r.json.tasks.length > 0;
  }
  await server.stop();
  return {
    list_p99_ms: {
      value: quantile(times.slice(20), 0.99),
      ok,
      note: `180 requests after 20 warm-up: p50 ${quantile(times.slice(20), 0.5).toFixed(1)} ms`,
    },
  };
}

/** Clients that stop reading a 100 000-event history: the server must not buffer it for them. */
export async function slowClients(dir, n = 100_000, clients = 8) {
  const [taskId] = seed(dir, { events: n });
  const server = await startServer(dir);
  const stopSampling = sampleRss(server.pid);
  const reqs = [];
  for (let i = 0; i < clients; i++) {
    await new Promise((resolve) => {
      const req = request(`${server.base}/api/tasks/${taskId}/events`, { headers: auth }, (res) => {
        res.pause(); // never reads
        resolve();
      });
      req.end();
      reqs.push(req);
    });
  }
  await sleep(3000);
  const peak = await stopSampling();
  for (const r of reqs) r.destroy();
  await server.stop();
  return {
    slow_clients_rss_mb: {
      value: (peak - server.baseline) / MB,
      note: `${clients} clients that stop reading a ${n.toLocaleString("en")}-event history, 3 s`,
    },
  };
}

/** A claude run printing 100 000 lines: every line reaches a connected client, in order. */
export async function live(dir, lines = 100_000) {
  const server = await startServer(dir);
  const wd = workdir(dir, {
    claude: [{ kind: "flood", lines }],
    codex: [{ kind: "review", text: "STATUS: DONE" }],
  });
  const started = performance.now();
  const done = collect(`${server.base}/api/events`, (_got, batch) =>
    batch.some((e) => e.type === "task.finished"),
  );
  await submit(server.base, { title: "flood", prompt: "p", workingDir: wd, maxIterations: 1 });
  const got = await done;
  const ms = performance.now() - started;
  await server.stop();
  let next = 1;
  for (const e of got) if (e.type === "agent.output" && e.data.line.includes(`"text":"line ${next}"`)) next++;
  return {
    live_100k_lines_ms: {
      value: ms,
      ok: next - 1 === lines,
      note: `${(next - 1).toLocaleString("en")} of ${lines.toLocaleString("en")} lines arrived in order`,
    },
  };
}
