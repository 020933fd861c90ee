import type { LoopEvent, Task } from "@loop/shared";
import { connectEvents, type EventClient } from "@loop/shared/event-client";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { authHeaders, listen, openRaw, parseFrames } from "./sse.ts";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A task whose event log holds only what a test seeds (its row's task.updated is removed). */
const newTask = (app: TestApp, title = "seeded"): Task => {
  const task = app.repos.tasks.create({ title, prompt: "p", workingDir: app.dir, maxIterations: 3 });
  app.repos.events.deleteSomeOf(task.id, 10);
  return task;
};

const seed = (app: TestApp, taskId: string, n: number, size = 10): void => {
  const pad = "x".repeat(size);
  for (let i = 1; i <= n; i++) {
    app.bus.emit({ taskId, iteration: null, type: "task.warning", data: { message: `m${i} ${pad}` } });
  }
};

const ids = (events: LoopEvent[]) => events.map((e) => e.id);

async function submit(app: TestApp, wd: string, maxIterations = 3): Promise<Task> {
  const res = await app.api({
    method: "POST",
    url: "/api/tasks",
    // Once listening, only Host values with the real port are allowed.
    headers: { host: new URL(app.app.listeningOrigin).host },
    payload: { title: "live", prompt: "do it", workingDir: wd, maxIterations },
  });
  expect(res.statusCode).toBe(201);
  return res.json().task as Task;
}

describe("GET /api/tasks/:id/events", () => {
  it("replays after the Last-Event-ID header, then streams live events", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t);
    seed(t, task.id, 20);
    const stored = t.events(task.id);
    const s = await openRaw(`${base}/api/tasks/${task.id}/events`, {
      "last-event-id": String(stored[9]!.id),
    });
    expect(s.status).toBe(200);
    expect(s.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(s.headers["cache-control"]).toContain("no-cache");
    await waitFor(() => parseFrames(s.text()).events.length === 10, 5_000, "replay");
    seed(t, task.id, 3);
    await waitFor(() => parseFrames(s.text()).events.length === 13, 5_000, "live events");
    const got = parseFrames(s.text());
    expect(got.retry).toBeGreaterThan(0);
    expect(ids(got.events)).toEqual(ids(t.events(task.id).slice(10)));
    expect(got.events[0]).toEqual(stored[10]);
    s.close();
  });

  it("accepts the lastEventId query parameter; the header wins when both are sent", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t);
    seed(t, task.id, 10);
    const stored = t.events(task.id);
    const q = await openRaw(`${base}/api/tasks/${task.id}/events?lastEventId=${stored[6]!.id}`);
    await waitFor(() => parseFrames(q.text()).events.length === 3, 5_000, "query replay");
    expect(ids(parseFrames(q.text()).events)).toEqual(ids(stored.slice(7)));
    const both = await openRaw(`${base}/api/tasks/${task.id}/events?lastEventId=${stored[1]!.id}`, {
      "last-event-id": String(stored[8]!.id),
    });
    await waitFor(() => parseFrames(both.text()).events.length === 1, 5_000, "header replay");
    await new Promise((r) => setTimeout(r, 100));
    expect(ids(parseFrames(both.text()).events)).toEqual([stored[9]!.id]);
    q.close();
    both.close();
  });

  it("sends only that task's events; /api/events sends every task's", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const a = newTask(t, "a");
    const b = newTask(t, "b");
    seed(t, a.id, 3);
    seed(t, b.id, 2);
    seed(t, a.id, 1);
    const one = await openRaw(`${base}/api/tasks/${b.id}/events`);
    const all = await openRaw(`${base}/api/events`);
    await waitFor(() => parseFrames(all.text()).events.length === 6, 5_000, "global replay");
    await waitFor(() => parseFrames(one.text()).events.length === 2, 5_000, "task replay");
    expect(parseFrames(one.text()).events.every((e) => e.taskId === b.id)).toBe(true);
    expect(ids(parseFrames(all.text()).events)).toEqual(
      ids(t.repos.events.listAfter({ afterId: 0, limit: 100 })),
    );
    one.close();
    all.close();
  });

  it("404 for an unknown task, 400 for a bad Last-Event-ID, 401 without the token", async () => {
    t = await createTestApp();
    const unknown = await t.api({ method: "GET", url: "/api/tasks/nope/events" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("task_not_found");
    const task = newTask(t);
    const bad = await t.api({ method: "GET", url: `/api/tasks/${task.id}/events?lastEventId=-3` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain("lastEventId");
    const badHeader = await t.api({ method: "GET", url: "/api/events", headers: { "last-event-id": "abc" } });
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json().error.message).toContain("Last-Event-ID");
    const anon = await t.app.inject({ method: "GET", url: "/api/events", headers: { host: "127.0.0.1" } });
    expect(anon.statusCode).toBe(401);
  });

  it("takes only decimal digits as Last-Event-ID or lastEventId: 1e3, ' 7 ', 0x10, -1, 1.5 are 400 invalid_query", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t);
    seed(t, task.id, 10);
    const stored = t.events(task.id);
    const url = `/api/tasks/${task.id}/events?once=1`;
    const host = new URL(base).host;
    const bad = ["1e3", " 7 ", "0x10", "-1", "1.5", "+7", "7 8", "1_000", "99999999999999999"];
    for (const value of bad) {
      const header = await t.api({ method: "GET", url, headers: { host, "last-event-id": value } });
      expect([value, header.statusCode]).toEqual([value, 400]);
      expect(header.json().error).toEqual({
        code: "invalid_query",
        message: expect.stringContaining("Last-Event-ID"),
      });
      const query = await t.api({
        method: "GET",
        url: `${url}&lastEventId=${encodeURIComponent(value)}`,
        headers: { host },
      });
      expect([value, query.statusCode]).toEqual([value, 400]);
      expect(query.json().error).toEqual({
        code: "invalid_query",
        message: expect.stringContaining("lastEventId"),
      });
    }
    const empty = await t.api({ method: "GET", url: `${url}&lastEventId=`, headers: { host } });
    expect(empty.statusCode).toBe(400);
    // Decimal digits work, as header and as query, over a real socket.
    const after = String(stored[6]!.id);
    for (const s of [
      await openRaw(`${base}${url}`, { "last-event-id": after }),
      await openRaw(`${base}${url}&lastEventId=${after}`),
    ]) {
      expect(s.status).toBe(200);
      await s.ended;
      expect(s.text()).toContain(`event: end\ndata: {"lastEventId":${stored[9]!.id}}`);
      expect(ids(parseFrames(s.text().replace(/event: end\n[^\n]*\n\n/, "")).events)).toEqual(
        ids(stored.slice(7)),
      );
    }
  });

  it("sends a ': ping' heartbeat at the configured interval", async () => {
    t = await createTestApp({ LOOP_SSE_HEARTBEAT_MS: "50" });
    const base = await listen(t.app);
    const s = await openRaw(`${base}/api/events`);
    await waitFor(
      () => parseFrames(s.text()).comments.filter((c) => c === "ping").length >= 3,
      5_000,
      "pings",
    );
    s.close();
  });

  it("refuses streams past LOOP_SSE_MAX_CONNECTIONS with 503 too_many_streams, and frees the slot on close", async () => {
    t = await createTestApp({ LOOP_SSE_MAX_CONNECTIONS: "2" });
    const base = await listen(t.app);
    const s1 = await openRaw(`${base}/api/events`);
    const s2 = await openRaw(`${base}/api/events`);
    const s3 = await openRaw(`${base}/api/events`);
    expect([s1.status, s2.status, s3.status]).toEqual([200, 200, 503]);
    await s3.ended;
    expect(JSON.parse(s3.text()).error.code).toBe("too_many_streams");
    expect(JSON.parse(s3.text()).error.message).toContain("LOOP_SSE_MAX_CONNECTIONS=2");
    // GET /api/health counts them: both open ones are live (not a one-off ?once=1 replay).
    const health = await t.api({ url: "/api/health", headers: { host: new URL(base).host } });
    expect(health.json()).toMatchObject({
      eventStreams: 2,
      liveEventStreams: 2,
    });
    s1.close();
    await waitFor(() => t!.app.eventStreams.size === 1, 5_000, "slot freed");
    const s4 = await openRaw(`${base}/api/events`);
    expect(s4.status).toBe(200);
    s2.close();
    s4.close();
  });

  it("has no gap and no duplicate when events are written while the replay runs", async () => {
    t = await createTestApp({}, { sse: { pageSize: 50 } });
    const base = await listen(t.app);
    const task = newTask(t);
    seed(t, task.id, 3_000, 200);
    const s = await openRaw(`${base}/api/tasks/${task.id}/events`);
    // Interleave writes with the paged replay.
    for (let i = 0; i < 500; i++) {
      t.bus.emit({ taskId: task.id, iteration: null, type: "task.warning", data: { message: `late ${i}` } });
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => parseFrames(s.text()).events.length >= 3_500, 10_000, "all events");
    await new Promise((r) => setTimeout(r, 100));
    expect(ids(parseFrames(s.text()).events)).toEqual(ids(t.events(task.id)));
    s.close();
  });

  it("splits a line longer than 64 KiB into continuation events that join back to the line", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t);
    const long = `${"é".repeat(50_000)}${"a".repeat(100_000)}`;
    t.bus.emitOutput(task.id, 1, "claude", "stdout", long);
    const s = await openRaw(`${base}/api/tasks/${task.id}/events`);
    await waitFor(() => parseFrames(s.text()).events.length >= 3, 5_000, "pieces");
    const pieces = parseFrames(s.text()).events.filter((e) => e.type === "agent.output");
    expect(pieces.length).toBe(Math.ceil(Buffer.byteLength(long) / (64 * 1024)));
    expect(pieces.map((e) => (e.type === "agent.output" ? e.data.line : "")).join("")).toBe(long);
    expect(
      pieces.map((e) => (e.type === "agent.output" ? [!!e.data.continuation, e.data.final] : [])),
    ).toEqual([
      [false, false],
      [true, false],
      [true, false],
      [true, true],
    ]);
    s.close();
  });

  it("cuts off a client that stops reading, and it resumes from its last id without losing anything", async () => {
    t = await createTestApp({}, { sse: { drainTimeoutMs: 300, pageSize: 200 } });
    const base = await listen(t.app);
    const task = newTask(t);
    // ~16 MB of history: more than loopback socket buffers hold (a few MB each way).
    const total = 8_000;
    seed(t, task.id, total, 2_000);
    const lastId = t.repos.events.maxId();
    const s = await openRaw(`${base}/api/tasks/${task.id}/events`);
    s.pause();
    await waitFor(() => t!.app.eventStreams.size === 0, 20_000, "slow client cut off");
    s.resume();
    await s.ended;
    // The cut may land inside a frame: keep only the complete ones, as EventSource does.
    const got = parseFrames(s.text()).events;
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(total);
    const last = got.at(-1)!.id;
    const rest = await openRaw(`${base}/api/tasks/${task.id}/events`, { "last-event-id": String(last) });
    // A cheap check per poll (a busy machine makes re-parsing megabytes each time the bottleneck).
    await waitFor(() => rest.text().includes(`id: ${lastId}\n`), 60_000, "the rest");
    await waitFor(() => rest.text().endsWith("\n\n"), 10_000, "the last frame");
    expect(ids([...got, ...parseFrames(rest.text()).events])).toEqual(ids(t.events(task.id)));
    rest.close();
  }, 90_000);

  it("ends open streams cleanly when the server closes", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const s = await openRaw(`${base}/api/events`);
    expect(t.app.eventStreams.size).toBe(1);
    const app = t;
    t = undefined;
    await app.close();
    await s.ended;
    expect(app.app.eventStreams.size).toBe(0);
  });
});

describe("event client against a live run", () => {
  it("the client's reconnects at random points lose nothing and double nothing", async () => {
    t = await createTestApp();
    const app = t;
    const base = await listen(app.app);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }),
        fc.boolean(),
        async (points, reload) => {
          const wd = app.workdir(
            scenario({
              claude: [claude.slow(60, 1)],
              codex: [codex.review("STATUS: ISSUES_FOUND\n- more"), codex.review("STATUS: DONE")],
            }),
          );
          const task = await submit(app, wd, 3);
          const url = `${base}/api/tasks/${task.id}/events`;
          const sorted = [...points].sort((a, b) => a - b);
          const received: LoopEvent[] = [];
          let client: EventClient;
          const connect = (lastEventId: number): EventClient =>
            connectEvents({
              url,
              lastEventId,
              headers: authHeaders,
              retryMs: 10,
              onBatch(batch) {
                received.push(...batch);
                while (sorted.length > 0 && received.length >= sorted[0]!) {
                  sorted.shift();
                  // A dropped connection, or a page reload that starts a new client from the last id.
                  if (reload) {
                    const last = client.lastEventId;
                    client.close();
                    client = connect(last);
                  } else client.reconnect();
                }
              },
            });
          client = connect(0);
          const finished = await waitFor(
            () => {
              const cur = app.repos.tasks.get(task.id);
              return cur?.finishedAt && received.length === app.events(task.id).length ? cur : undefined;
            },
            20_000,
            "task finished and every event received",
          );
          client.close();
          expect(finished.status).toBe("done");
          const stored = app.events(task.id);
          expect(received).toEqual(stored);
          for (let i = 1; i < received.length; i++)
            expect(received[i]!.id).toBeGreaterThan(received[i - 1]!.id);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it("stops instead of retrying forever when the server refuses (404) and reports why", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const states: string[] = [];
    let error = "";
    const client = connectEvents({
      url: `${base}/api/tasks/missing/events`,
      headers: authHeaders,
      onBatch: () => {},
      onState: (s, d) => {
        states.push(s);
        if (d.error) error = d.error;
      },
    });
    await waitFor(() => client.state === "closed", 5_000, "closed");
    expect(states).toEqual(["closed"]);
    expect(error).toContain("No task with id missing");
  });

  it("shows 'reconnecting' while the server is gone and resumes where it stopped", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const task = newTask(t);
    seed(t, task.id, 5);
    const states: string[] = [];
    const received: LoopEvent[] = [];
    const client = connectEvents({
      url: `${base}/api/tasks/${task.id}/events`,
      headers: authHeaders,
      retryMs: 20,
      onBatch: (b) => received.push(...b),
      onState: (s) => states.push(s),
    });
    await waitFor(() => received.length === 5, 5_000, "first events");
    // Every open stream is ended (as on shutdown); the client reconnects with its last id.
    for (const s of t.app.eventStreams) s.end();
    seed(t, task.id, 4);
    await waitFor(() => received.length === 9, 5_000, "events after the reconnect");
    expect(ids(received)).toEqual(ids(t.events(task.id)));
    expect(states.slice(0, 3)).toEqual(["open", "reconnecting", "open"]);
    client.close();
  });
});

describe("a run that prints 100 000 lines", () => {
  it("delivers every line, in order, to a connected client", async () => {
    t = await createTestApp();
    const base = await listen(t.app);
    const received: LoopEvent[] = [];
    const wd = t.workdir(
      scenario({ claude: [claude.flood(100_000)], codex: [codex.review("STATUS: DONE")] }),
    );
    const task = await submit(t, wd, 1);
    const client = connectEvents({
      url: `${base}/api/tasks/${task.id}/events`,
      headers: authHeaders,
      onBatch: (b) => received.push(...b),
    });
    const app = t;
    await waitFor(
      () => app.repos.tasks.get(task.id)?.finishedAt && received.length === app.events(task.id).length,
      110_000,
      "all lines",
    );
    client.close();
    expect(app.repos.tasks.get(task.id)).toMatchObject({ status: "done" });
    const lines = received.flatMap((e) =>
      e.type === "agent.output" && e.data.agent === "claude" && e.data.parsed?.kind === "text"
        ? [e.data.parsed.text]
        : [],
    );
    expect(lines.length).toBe(100_000);
    expect(lines[0]).toBe("line 1");
    expect(lines[99_999]).toBe("line 100000");
    expect(lines.every((l, i) => l === `line ${i + 1}`)).toBe(true);
    expect(ids(received)).toEqual(ids(app.events(task.id)));
  }, 120_000);
});
