import { describe, expect, it } from "vitest";
import { activity, growingText, heartbeat } from "../src/features/task/live.ts";
import type { LogLine } from "../src/features/task/model.ts";

const line = (kind: string, text: string): LogLine => ({
  id: 1,
  kind: "stdout",
  text,
  parsed: { kind, text },
});

describe("the running agent's heartbeat", () => {
  it("says what the agent is doing from its last parsed line", () => {
    expect(activity("claude", line("tool_use", "Bash: ls -la"), false)).toBe("running tool Bash");
    expect(activity("claude", line("text", "Working on it."), false)).toBe("thinking");
    expect(activity("claude", line("text", "x"), true)).toBe("writing");
    expect(activity("codex", line("command", "$ /bin/bash -lc ls …"), false)).toBe("running command");
    expect(activity("codex", line("command", "$ /bin/bash -lc ls (exit 0)"), false)).toBe("thinking");
    expect(activity("codex", undefined, false)).toBe("thinking");
  });

  it("counts seconds, then minutes", () => {
    expect(heartbeat("thinking", 42_400)).toBe("thinking · 42 s");
    expect(heartbeat("running tool Bash", 125_000)).toBe("running tool Bash · 2 min 5 s");
    expect(heartbeat("thinking", -5)).toBe("thinking · 0 s");
  });

  it("the growing line shows the tail, marked when the text is longer", () => {
    expect(growingText("abc", 3)).toBe("abc");
    expect(growingText("abc", 10)).toBe("…abc");
  });
});
