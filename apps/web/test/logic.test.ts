import { describe, expect, it } from "vitest";
import {
  agentState,
  displayText,
  findMatches,
  isAtBottom,
  iterationState,
  kindLabel,
  lineCount,
  logToText,
  matchCounter,
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

  it("labels each kind of parsed line, the tool's output apart from the final answer", () => {
    const label = (k: string) => kindLabel(k).label;
    expect(label("tool_use")).toBe("tool");
    expect(label("tool_result")).toBe("tool output");
    expect(label("result")).toBe("answer");
    expect(label("text")).toBe("message");
    expect(label("command")).toBe("command");
    expect(label("thinking")).toBe("thinking");
    expect(label("interrupted")).toBe("stopped");
    expect(label("retry")).toBe("retry");
    // Every kind the agents' parsers produce has a label of its own.
    const kinds = ["text", "thinking", "tool_use", "command", "file_change", "tool_result", "result"];
    const more = ["error", "warning", "retry", "rate_limit", "interrupted", "usage", "todo", "system"];
    const labels = [...kinds, ...more, "partial", "user"].map(label);
    expect(new Set(labels).size).toBe(labels.length);
    // A kind from a newer server shows its own name.
    expect(kindLabel("mcp_progress")).toEqual({ label: "mcp progress", tone: "muted" });
  });

  it("counts search matches as a person reads them", () => {
    expect(matchCounter(0, -1)).toBe("no matches");
    expect(matchCounter(1, -1)).toBe("1 match");
    expect(matchCounter(12, -1)).toBe("12 matches");
    expect(matchCounter(12, 2)).toBe("3 of 12");
    expect(matchCounter(1, 0)).toBe("1 of 1");
    expect(matchCounter(1200, 0)).toBe("1 of 1,200");
    expect(matchCounter(matches(lines, "world"), -1)).toBe("2 matches");
  });

  it("counts an agent's lines in the header as its log numbers them", () => {
    expect(lineCount(1)).toBe("1 line");
    expect(lineCount(1200)).toBe("1,200 lines");
  });

  it("labels a run loop cancelled as cancelled, never failed", () => {
    const started = { agent: "claude" };
    expect(agentState(null)).toBe("not started");
    expect(agentState({ started, finished: null })).toBe("running…");
    expect(agentState({ started, finished: { ok: true } })).toBe("finished");
    expect(agentState({ started, finished: { ok: false, errorKind: "exit_nonzero" } })).toBe("failed");
    expect(agentState({ started, finished: { ok: false, errorKind: "cancelled" } })).toBe("cancelled");
    // After a crash or a stop the task is paused: nothing runs, whatever the log lacks.
    expect(agentState({ started, finished: null }, "running")).toBe("running…");
    expect(agentState({ started, finished: null }, "paused")).toBe("interrupted");
    expect(agentState({ started, finished: { ok: false, errorKind: "cancelled" } }, "paused")).toBe(
      "interrupted",
    );
    expect(agentState({ started, finished: { ok: false, errorKind: "cancelled" } }, "cancelled")).toBe(
      "cancelled",
    );
  });

  it("says an iteration's state from the live view first (it is newer than the fetched row)", () => {
    const live = (startedAt: string | null, finishedAt: string | null, status?: string) => ({
      startedAt,
      finishedAt,
      outcome: status ? { status } : null,
    });
    expect(iterationState(live("t1", "t2", "cancelled"), "running")).toBe("cancelled");
    expect(iterationState(live("t1", null), "running")).toBe("in progress");
    expect(iterationState(live("t1", null), "running", "running")).toBe("in progress");
    expect(iterationState(live("t1", null), "running", "paused")).toBe("interrupted");
    // Resumed: it runs again after the earlier iteration.finished.
    expect(iterationState(live("t3", "t2", "interrupted"), "running")).toBe("in progress");
    expect(iterationState(null, "failed")).toBe("failed");
    expect(iterationState(null, "done")).toBe("done");
    expect(iterationState(null, undefined)).toBe("not started");
  });
});

const matches = (l: readonly LogLine[], q: string) => findMatches(l, q, false).length;
