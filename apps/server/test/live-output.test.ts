import type { EphemeralEvent, Task } from "@loop/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, waitFor } from "./helpers.ts";
import { claude, codex, scenario } from "./scenarios.ts";
import { listen, openRaw } from "./sse.ts";

let t: TestApp;
afterEach(() => t?.close());

/** The frames of SSE text without an `id:` line (live-only messages). */
function idless(text: string): EphemeralEvent[] {
  return text
    .split("\n\n")
    .slice(0, -1)
    .filter((b) => !b.split("\n").some((l) => l.startsWith("id: ")) && b.includes("data: "))
    .map((b) => JSON.parse(b.slice(b.indexOf("data: ") + 6)) as EphemeralEvent);
}

describe("live output (claude --include-partial-messages)", () => {
  it("streams the growing text as id-less agent.partial messages, stores it once when complete, never replays it", async () => {
    t = await createTestApp();
    const url = await listen(t.app);
    const text = `Live answer ${"word ".repeat(200)}end.`;
    const wd = t.workdir(
      scenario({
        claude: [claude.ok(text, { partialPieces: 6, partialDelayMs: 250 })],
        codex: [codex.review("STATUS: DONE")],
      }),
    );
    const r = await t.api({
      method: "POST",
      url: "/api/tasks",
      payload: { title: "live", prompt: "go", workingDir: wd, maxIterations: 1 },
      headers: { "content-type": "application/json", host: new URL(url).host },
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().task.id as string;
    const live = await openRaw(`${url}/api/tasks/${id}/events`);
    await waitFor(() => (t.repos.tasks.get(id) as Task).status === "done", 30_000, "done");
    await waitFor(() => live.text().includes('"task.finished"'), 10_000, "the stream to finish");
    live.close();

    const all = idless(live.text());
    for (const p of all) expect(p).toMatchObject({ type: "agent.partial", taskId: id, iteration: 1 });
    // The long message's pieces (the fake's short "Working on it." has its own): growing tails of it.
    const partials = all.filter((p) => p.data.text.startsWith("Live answer"));
    expect(partials.length).toBeGreaterThanOrEqual(3);
    const lengths = partials.map((p) => p.data.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    expect(partials.every((p) => text.startsWith(p.data.text))).toBe(true);

    // Stored: the complete message once, no partial and no stream_event line.
    const events = t.events(id);
    expect(events.some((e) => (e.type as string) === "agent.partial")).toBe(false);
    const out = events.flatMap((e) => (e.type === "agent.output" ? [e.data.line] : []));
    expect(out.some((l) => l.includes('"stream_event"'))).toBe(false);
    expect(out.filter((l) => l.includes('"type":"assistant"') && l.includes("Live answer")).length).toBe(1);

    // A replay has no id-less frames.
    const replay = await openRaw(`${url}/api/tasks/${id}/events`);
    await waitFor(() => replay.text().includes('"task.finished"'), 10_000, "the replay");
    replay.close();
    expect(idless(replay.text())).toEqual([]);
  });
});
