import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { connectEvents, type EphemeralEvent, type EventClient, replayEvents } from "../src/event-client.ts";
import type { LoopEvent } from "../src/events.ts";

let server: Server | undefined;
let client: EventClient | undefined;
afterEach(async () => {
  client?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

const ev = (id: number): LoopEvent => ({
  id,
  taskId: "T",
  iteration: null,
  type: "task.warning",
  ts: new Date(0).toISOString(),
  data: { message: `m${id}` },
});
const frame = (e: LoopEvent) => `id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`;
const partial = (text: string) =>
  `data: ${JSON.stringify({ type: "agent.partial", taskId: "T", iteration: 1, data: { agent: "claude", text, length: text.length } })}\n\n`;

/** A real HTTP server answering every request with `body(url)` (kept open unless `end`). */
async function serve(body: (url: URL) => string, end = false): Promise<string> {
  const s = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(body(new URL(req.url ?? "/", "http://x")));
    if (end) res.end();
  });
  server = s;
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const a = s.address();
  if (!a || typeof a !== "object") throw new Error("no port");
  return `http://127.0.0.1:${a.port}`;
}

const until = async (ok: () => boolean) => {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > 5_000) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("connectEvents", () => {
  it("delivers messages without an id as ephemeral, every time, and dedupes only stored events", async () => {
    const base = await serve(
      () => frame(ev(1)) + partial("a") + frame(ev(2)) + partial("a") + frame(ev(1)) + frame(ev(3)),
    );
    const stored: number[] = [];
    const ephemeral: EphemeralEvent[] = [];
    client = connectEvents({
      url: `${base}/api/events`,
      onBatch: (events) => stored.push(...events.map((e) => e.id)),
      onEphemeral: (events) => ephemeral.push(...events),
    });
    await until(() => stored.length >= 3 && ephemeral.length >= 2);
    expect(stored).toEqual([1, 2, 3]);
    expect(ephemeral.map((e) => [e.type, e.data.text])).toEqual([
      ["agent.partial", "a"],
      ["agent.partial", "a"],
    ]);
    // An ephemeral message never moves the resume position.
    expect(client.lastEventId).toBe(3);
  });

  it("asks the url function again on reconnect, resuming after the last id", async () => {
    const seen: string[] = [];
    const base = await serve((url) => {
      seen.push(`${url.searchParams.get("output")}`);
      return seen.length === 1 ? frame(ev(1)) : frame(ev(1)) + frame(ev(2));
    });
    let output = "none";
    const stored: number[] = [];
    client = connectEvents({
      url: () => `${base}/api/events?output=${output}`,
      onBatch: (events) => stored.push(...events.map((e) => e.id)),
    });
    await until(() => stored.length === 1);
    output = "T";
    client.reconnect();
    await until(() => stored.length === 2);
    expect(seen).toEqual(["none", "T"]);
    expect(stored).toEqual([1, 2]);
  });
});

describe("replayEvents", () => {
  it("resolves at the end message with its id", async () => {
    const base = await serve(
      () => `${frame(ev(4))}${frame(ev(5))}event: end\ndata: {"lastEventId":5}\n\n`,
      true,
    );
    const got: number[] = [];
    const end = await replayEvents({ url: `${base}/e`, onBatch: (b) => got.push(...b.map((e) => e.id)) });
    expect(end).toBe(5);
    expect(got).toEqual([4, 5]);
  });

  it("rejects a replay cut before its end", async () => {
    const base = await serve(() => frame(ev(4)), true);
    await expect(replayEvents({ url: `${base}/e`, onBatch: () => {} })).rejects.toThrow(/ended early/);
  });
});
