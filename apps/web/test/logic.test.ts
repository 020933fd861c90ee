import { describe, expect, it } from "vitest";
import {
  displayText,
  findMatches,
  isAtBottom,
  kindTag,
  logToText,
  nextFollow,
  splitHighlight,
  stepMatch,
} from "../src/features/task/logic.ts";
import type { LogLine } from "../src/features/task/model.ts";

const lines: LogLine[] = [
  { id: 1, kind: "meta", text: "$ claude --print" },
  { id: 2, kind: "stdout", text: '{"type":"assistant"}', parsed: { kind: "text", text: "Hello World" } },
  { id: 3, kind: "stderr", text: "warning: world" },
  { id: 4, kind: "stdout", text: "plain" },
];

describe("log logic", () => {
  it("shows parsed lines readably and raw on request", () => {
    expect(displayText(lines[1]!, false)).toBe("Hello World");
    expect(displayText(lines[1]!, true)).toBe('{"type":"assistant"}');
    expect(logToText(lines, false).split("\n")).toEqual([
      "$ claude --print",
      "Hello World",
      "warning: world",
      "plain",
    ]);
  });

  it("searches case-insensitively in what is shown", () => {
    expect(findMatches(lines, "WORLD", false)).toEqual([1, 2]);
    expect(findMatches(lines, "assistant", false)).toEqual([]);
    expect(findMatches(lines, "assistant", true)).toEqual([1]);
    expect(findMatches(lines, "", false)).toEqual([]);
    expect(findMatches(lines, "l", false, 2)).toEqual([0, 1]);
  });

  it("splits text around matches for highlighting", () => {
    expect(splitHighlight("a World world", "world")).toEqual([
      { text: "a ", hit: false },
      { text: "World", hit: true },
      { text: " ", hit: false },
      { text: "world", hit: true },
    ]);
    expect(splitHighlight("abc", "")).toEqual([{ text: "abc", hit: false }]);
    expect(splitHighlight("", "x")).toEqual([{ text: "", hit: false }]);
  });

  it("steps through matches with wrap-around", () => {
    expect(stepMatch(0, -1, 1)).toBe(-1);
    expect(stepMatch(3, -1, 1)).toBe(0);
    expect(stepMatch(3, -1, -1)).toBe(2);
    expect(stepMatch(3, 2, 1)).toBe(0);
    expect(stepMatch(3, 0, -1)).toBe(2);
  });

  it("follows the tail until the user scrolls up, and again once back at the bottom", () => {
    const m = (scrollTop: number) => ({ scrollTop, scrollHeight: 10_000, clientHeight: 500 });
    expect(isAtBottom(m(9500))).toBe(true);
    expect(isAtBottom(m(9480))).toBe(true);
    expect(isAtBottom(m(9000))).toBe(false);
    // The user scrolls up: stop following.
    expect(nextFollow(true, 9500, m(9000))).toBe(false);
    // Content grew under us while following (our scroll has not happened yet): keep following.
    expect(nextFollow(true, 9500, { scrollTop: 9500, scrollHeight: 12_000, clientHeight: 500 })).toBe(true);
    // Scrolling down but not to the end: still not following.
    expect(nextFollow(false, 8000, m(9000))).toBe(false);
    // Back at the end: follow again.
    expect(nextFollow(false, 9000, m(9500))).toBe(true);
  });

  it("gives parsed kinds short tags", () => {
    expect(kindTag("tool_use")).toBe("tool");
    expect(kindTag("tool_result")).toBe("result");
    expect(kindTag("command")).toBe("cmd");
    expect(kindTag("thinking")).toBe("think");
    expect(kindTag("text")).toBe("text");
    expect(kindTag("system")).toBe("system");
  });
});
