import { describe, expect, it } from "vitest";
import { LivePrinter } from "../src/live.ts";

const CLEAR = "\r\x1b[2K";

/** A terminal as a string: what `write` and line output put on it, in order. */
function screen(columns = 40) {
  let raw = "";
  const printer = new LivePrinter((l) => (raw += `${l}\n`), { write: (s) => (raw += s), columns });
  return { printer, raw: () => raw };
}

const msg = (text: string, length = text.length) => ({
  taskId: "t",
  iteration: 1,
  agent: "claude" as const,
  text,
  length,
});

describe("LivePrinter on a terminal", () => {
  it("overwrites the growing line in place and wipes it when the complete message is stored", () => {
    const s = screen();
    s.printer.partial(msg("Hel"));
    s.printer.partial(msg("Hello, wor"));
    expect(s.raw()).toBe(`${CLEAR}claude ✎ Hel${CLEAR}claude ✎ Hello, wor`);
    s.printer.settle("claude");
    s.printer.line("claude │ Hello, world");
    expect(s.raw()).toBe(`${CLEAR}claude ✎ Hel${CLEAR}claude ✎ Hello, wor${CLEAR}claude │ Hello, world\n`);
  });

  it("right after a newline, keeps showing the line just finished", () => {
    const s = screen();
    s.printer.partial(msg("One line\n"));
    expect(s.raw()).toBe(`${CLEAR}claude ✎ One line`);
  });

  it("prints a log line above the growing line and draws it again below", () => {
    const s = screen();
    s.printer.partial(msg("Thinking about it"));
    s.printer.line("codex started");
    expect(s.raw()).toBe(
      `${CLEAR}claude ✎ Thinking about it${CLEAR}codex started\nclaude ✎ Thinking about it`,
    );
  });

  it("shows the last line of the text, its tail when wider than the terminal", () => {
    const s = screen(30);
    s.printer.partial(msg(`first line\n${"x".repeat(50)}end`));
    const shown = s.raw().slice(CLEAR.length);
    expect(shown.startsWith("claude ✎ …")).toBe(true);
    expect(shown.endsWith("xend")).toBe(true);
    expect(shown.length).toBeLessThan(30);
  });
});

describe("LivePrinter piped", () => {
  it("prints each line of the growing text once, when it is complete, and starts over with the next message", () => {
    const lines: string[] = [];
    const p = new LivePrinter((l) => lines.push(l));
    p.partial(msg("One"));
    p.partial(msg("One\nTw"));
    p.partial(msg("One\nTwo\nThree"));
    p.partial(msg("One\nTwo\nThree\n"));
    expect(lines).toEqual(["claude ✎ One", "claude ✎ Two", "claude ✎ Three"]);
    p.partial(msg("Next\n"));
    expect(lines.at(-1)).toBe("claude ✎ Next");
  });

  it("follows a text longer than the tail the server sends (absolute offsets)", () => {
    const lines: string[] = [];
    const p = new LivePrinter((l) => lines.push(l));
    p.partial(msg("aaaa\nbb", 7));
    // 100 characters later the server sends only the last part.
    p.partial(msg("cc\ndd\n", 106));
    expect(lines).toEqual(["claude ✎ aaaa", "claude ✎ …cc", "claude ✎ dd"]);
  });
});
