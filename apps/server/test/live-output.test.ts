import type { PartialMessage, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { listen, openRaw } from "./sse.ts";

let t: TestApp;
afterEach(() => t?.close());

interface Frame {
  id?: string;
  event?: string;
  data: string;
}
/** The complete frames of SSE text that carry `data:` (comments and the retry hint left out). */
function dataFrames(text: string): Frame[] {
  return text
    .split("\n\n")
    .slice(0, -1)
    .flatMap((block) => {
      const f: Partial<Frame> = {};
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) f.id = line.slice(4);
        else if (line.startsWith("event: ")) f.event = line.slice(7);
        else if (line.startsWith("data: ")) f.data = line.slice(6);
      }
      return f.data === undefined ? [] : [f as Frame];
    });
}

describe("live output (claude --include-partial-messages)", () => {
  it("sends the growing text only to ?partial=1 streams, as id-less `event: partial` frames; stores it once when complete, never replays it", async () => {
    t = await createTestApp();
    const url = await listen(t.app);
    const text = `Live answer ${"word ".repeat(200)}end.`;
    const wd = t.workdir(
      scenario({
        claude: [claude.ok(text, { partialPieces: 6, partialDelayMs: 250 })],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    // Streams open before the task exists, so each sees the run from its first partial.
    const plain = await openRaw(`${url}/api/events`);
    const withPartial = await openRaw(`${url}/api/events?partial=1`);
    const otherTasks = await openRaw(`${url}/api/events?partial=1&output=none`);
    const r = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "live", prompt: "go", workingDir: wd, maxIterations: 1 },
      headers: { "content-type": "application/json", host: new URL(url).host },
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().task.id as string;
    const taskStream = await openRaw(`${url}/api/tasks/${id}/events?partial=1`);
    await waitFor(() => (t.repos.tasks.get(id) as Task).status === "done", 30_000, "done");
    const streams = [plain, withPartial, otherTasks, taskStream];
    for (const s of streams) await waitFor(() => s.text().includes('"task.finished"'), 10_000, "the end");
    for (const s of streams) s.close();

    // Without partial=1 every data frame is a stored event with its id, and nothing else.
    const stored = new Map(t.repos.events.listAfter({ afterId: 0, limit: 10_000 }).map((e) => [e.id, e]));
    const plainFrames = dataFrames(plain.text());
    expect(plainFrames.length).toBeGreaterThan(5);
    for (const f of plainFrames) {
      expect(f.event).toBeUndefined();
      expect(f.id, f.data).toMatch(/^[0-9]+$/);
      expect(JSON.parse(f.data)).toEqual(stored.get(Number(f.id)));
    }
    expect(dataFrames(otherTasks.text()).filter((f) => f.id === undefined)).toEqual([]);

    // With partial=1: the same events, plus `event: partial` frames without an id.
    for (const s of [withPartial, taskStream]) {
      const frames = dataFrames(s.text());
      const idless = frames.filter((f) => f.id === undefined);
      expect(idless.every((f) => f.event === "partial")).toBe(true);
      expect(frames.filter((f) => f.event === "partial").every((f) => f.id === undefined)).toBe(true);
      const all = idless.map((f) => JSON.parse(f.data) as PartialMessage);
      for (const p of all) expect(p).toMatchObject({ taskId: id, iteration: 1, agent: "claude" });
      // The long message's pieces (the fake's short "Working on it." has its own): growing tails of it.
      const partials = all.filter((p) => p.text.startsWith("Live answer"));
      expect(partials.length).toBeGreaterThanOrEqual(3);
      const lengths = partials.map((p) => p.length);
      expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
      expect(partials.every((p) => text.startsWith(p.text))).toBe(true);
    }
    const storedIds = (s: string) => dataFrames(s).flatMap((f) => (f.id === undefined ? [] : [f.id]));
    expect(storedIds(withPartial.text())).toEqual(storedIds(plain.text()));

    // Stored: the complete message once, no partial and no stream_event line.
    const events = t.events(id);
    expect(events.some((e) => (e.type as string) === "agent.partial")).toBe(false);
    const out = events.flatMap((e) => (e.type === "agent.output" ? [e.data.line] : []));
    expect(out.some((l) => l.includes('"stream_event"'))).toBe(false);
    expect(out.filter((l) => l.includes('"type":"assistant"') && l.includes("Live answer")).length).toBe(1);

    // A replay, even one that asks for partial text, has no id-less frames.
    const replay = await openRaw(`${url}/api/tasks/${id}/events?partial=1`);
    await waitFor(() => replay.text().includes('"task.finished"'), 10_000, "the replay");
    replay.close();
    expect(dataFrames(replay.text()).filter((f) => f.id === undefined)).toEqual([]);
  });
});
