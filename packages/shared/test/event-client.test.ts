import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { connectEvents, type EventClient, type PartialMessage, replayEvents } from "../src/event-client.ts";
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
  `event: partial\ndata: ${JSON.stringify({ taskId: "T", iteration: 1, agent: "claude", text, length: text.length })}\n\n`;
/** An unnamed data frame without an id (what streams sent before partial text was opt-in). */
const stray = (text: string) => `data: ${JSON.stringify({ type: "agent.partial", taskId: "T", text })}\n\n`;

/** A real HTTP server answering request n with `body(url, headers)` (kept open unless `end(n)`). */
async function serve(
  body: (url: URL, headers: Record<string, string | string[] | undefined>) => string,
  end: boolean | ((n: number) => boolean) = false,
): Promise<string> {
  let n = 0;
  const s = createServer((req, res) => {
    n++;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(body(new URL(req.url ?? "/", "http://x"), req.headers));
    if (typeof end === "function" ? end(n) : end) res.end();
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
  it("asks for partial=1 given onPartial, hands `event: partial` frames to it and never moves the cursor on them", async () => {
    const requests: { partial: string | null; lastEventId: unknown }[] = [];
    const base = await serve(
      (url, headers) => {
        requests.push({ partial: url.searchParams.get("partial"), lastEventId: headers["last-event-id"] });
        // The first connection ends after two partials; the client must resume after event 2, not later.
        return requests.length === 1
          ? frame(ev(1)) + partial("a") + frame(ev(2)) + partial("ab") + stray("x")
          : frame(ev(1)) + frame(ev(3)) + partial("abc");
      },
      (n) => n === 1,
    );
    const stored: number[] = [];
    const partials: PartialMessage[] = [];
    client = connectEvents({
      url: `${base}/api/events?output=none`,
      retryMs: 10,
      onBatch: (events) => stored.push(...events.map((e) => e.id)),
      onPartial: (messages) => partials.push(...messages),
    });
    await until(() => stored.length >= 3 && partials.length >= 3);
    expect(stored).toEqual([1, 2, 3]);
    expect(partials).toEqual([
      { taskId: "T", iteration: 1, agent: "claude", text: "a", length: 1 },
      { taskId: "T", iteration: 1, agent: "claude", text: "ab", length: 2 },
      { taskId: "T", iteration: 1, agent: "claude", text: "abc", length: 3 },
    ]);
    expect(requests).toEqual([
      { partial: "1", lastEventId: "0" },
      { partial: "1", lastEventId: "2" },
    ]);
    expect(client.lastEventId).toBe(3);
  });

  it("without onPartial does not ask for partial text, and skips frames that are not stored events", async () => {
    const seen: (string | null)[] = [];
    const base = await serve((url) => {
      seen.push(url.searchParams.get("partial"));
      return frame(ev(1)) + partial("a") + stray("x") + frame(ev(2));
    });
    const stored: LoopEvent[] = [];
    client = connectEvents({ url: `${base}/api/events`, onBatch: (events) => stored.push(...events) });
    await until(() => stored.length >= 2);
    expect(stored.map((e) => e.id)).toEqual([1, 2]);
    expect(seen).toEqual([null]);
    expect(client.lastEventId).toBe(2);
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
