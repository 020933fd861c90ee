import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ParsedLine } from "@loop/shared";
import { describe, expect, it } from "vitest";
import { ClaudeStream, CodexStream } from "../src/agents/index.ts";

// Every event type both CLIs print gets a readable form: the log never shows a raw JSON line.
// real/ holds lines captured from the real CLIs; events/ one line per documented event type
// (shapes from the formats reference and the CLIs' own type definitions).
const dir = (d: string) => fileURLToPath(new URL(`./fixtures/${d}/`, import.meta.url));
const linesOf = (d: string, f: string) =>
  readFileSync(dir(d) + f, "utf8")
    .split("\n")
    .filter(Boolean);
const parseAll = (d: string, f: string): (ParsedLine | undefined)[] => {
  const s = f.startsWith("claude") ? new ClaudeStream() : new CodexStream();
  return linesOf(d, f).map((l) => s.push(l));
};
// Stream lines only: a `.stderr.txt` capture is what the CLI printed on stderr, shown as it is.
const files = ["real", "events"].flatMap((d) =>
  readdirSync(dir(d))
    .filter((f) => !f.endsWith(".stderr.txt"))
    .map((f) => [d, f] as const),
);

describe("every recorded line reads as text", () => {
  it.each(files)("%s/%s", (d, f) => {
    const parsed = parseAll(d, f);
    expect(parsed.length).toBeGreaterThan(0);
    for (const [i, p] of parsed.entries()) {
      const where = `${f} line ${i + 1}`;
      expect(p, where).toBeDefined();
      expect(p!.text.trim(), where).not.toBe("");
      expect(p!.text, where).not.toMatch(/^\s*[{[]/);
      expect(p!.text, where).not.toContain('"type":');
      expect(p!.text, where).not.toContain("[Request interrupted");
    }
  });
});

type Row = [event: string, kind: string, text: string];

const CLAUDE: Row[] = [
  ["system init", "system", "session started · model claude-sonnet-4-5"],
  ["system api_retry", "retry", "API retry 1/10 (rate_limit, HTTP 429) in 1 s"],
  ["system status", "system", "status: compacting"],
  ["system status (cleared)", "system", "status cleared"],
  ["system compact_boundary", "system", "conversation compacted (auto) from 155,000 tokens"],
  ["system hook_started", "system", "hook PreToolUse:Bash started"],
  ["system hook_response", "system", "hook PreToolUse:Bash done (success)"],
  ["stream_event message_start", "partial", "message started"],
  ["stream_event content_block_start", "partial", "writing…"],
  ["stream_event thinking_delta", "partial", "Looking at the files"],
  ["stream_event text_delta", "partial", "Let me look"],
  ["stream_event input_json_delta", "partial", 'tool input: {"command": "ls'],
  ["stream_event content_block_stop", "partial", "block done"],
  ["stream_event message_delta", "partial", "stopped: tool_use"],
  ["stream_event message_stop", "partial", "message done"],
  ["assistant thinking", "thinking", "Looking at the files first."],
  ["assistant redacted_thinking", "thinking", "(thinking not shown)"],
  ["assistant text", "text", "Let me look at the files."],
  ["assistant tool_use", "tool_use", "Bash: ls -la"],
  ["user tool_result", "tool_result", "total 8\nREADME.md"],
  ["user tool_result (is_error)", "tool_result", "failed: Exit code 1\nnot found"],
  ["tool_progress", "system", "Bash running (12 s)"],
  [
    "rate_limit_event",
    "rate_limit",
    "5-hour window: within the limit · 40% used · resets 2026-12-01 21:41 UTC",
  ],
  ["user [Request interrupted by user]", "interrupted", "claude was interrupted: the run was stopped"],
  ["user [… for tool use]", "interrupted", "claude was interrupted: the run was stopped"],
  ["assistant text (a table)", "text", "| File | Status |\n|---|---|\n| README.md | ok |"],
  ["result success", "result", "All files look fine. ($0.0123 · 3 turns · 4.3 s)"],
  ["result error_during_execution", "error", "claude stopped before it finished (1 turn)"],
];

const CODEX: Row[] = [
  ["thread.started", "system", "codex started"],
  ["turn.started", "system", "turn started"],
  ["item.started reasoning", "thinking", "thinking…"],
  ["item.completed reasoning", "thinking", "**Inspecting the working directory**"],
  ["item.started command_execution", "command", "$ /bin/bash -lc ls …"],
  ["item.updated command_execution", "command", "$ /bin/bash -lc ls …"],
  ["item.completed command_execution", "command", "$ /bin/bash -lc ls (exit 0)"],
  ["item.completed command_execution (declined)", "command", "$ /bin/bash -lc 'rm -rf x' (declined)"],
  ["item.started file_change", "file_change", "changing /tmp/w/a.ts…"],
  ["item.completed file_change", "file_change", "changed /tmp/w/a.ts, added /tmp/w/b.ts"],
  ["item.completed file_change (failed)", "warning", "could not change /tmp/w/c.ts"],
  ["item.started mcp_tool_call", "tool_use", "docs.search …"],
  ["item.completed mcp_tool_call", "tool_result", "docs.search: 3 pages found"],
  ["item.completed mcp_tool_call (failed)", "warning", "docs.fetch failed: server not running"],
  ["item.started web_search", "tool_use", "web search …"],
  ["item.completed web_search", "tool_use", "web search: vitest projects"],
  ["item.started todo_list", "todo", "plan: ○ Read the diff · ○ Run the tests"],
  ["item.updated todo_list", "todo", "plan: ✓ Read the diff · ○ Run the tests"],
  ["item.completed todo_list", "todo", "plan: ✓ Read the diff · ✓ Run the tests"],
  ["item.completed error", "warning", "Falling back from WebSockets to HTTPS transport."],
  ["error (reconnecting)", "retry", "Reconnecting... 1/5 (stream disconnected before completion)"],
  ["item.completed agent_message", "text", "STATUS: ISSUES_FOUND\n- Add a test for the empty input."],
  ["turn.completed", "usage", "turn done · 5,000 tokens in (1,200 cached) · 220 out"],
  ["error", "error", "unexpected status 500 Internal Server Error"],
  ["turn.failed", "error", "turn failed: unexpected status 500 Internal Server Error"],
];

describe.each([
  ["claude", "claude-events.jsonl", CLAUDE],
  ["codex", "codex-events.jsonl", CODEX],
] as const)("%s: one readable form per event type", (_cli, file, table) => {
  const parsed = parseAll("events", file);
  it("has a row for every line of the fixture", () => {
    expect(parsed).toHaveLength(table.length);
  });
  it.each(table.map((row, i) => [...row, i] as const))("%s → %s", (_event, kind, text, i) => {
    expect(parsed[i]).toEqual({ kind, text });
  });
});

describe("other lines", () => {
  it("gives an event type newer than this build a readable name, not its JSON", () => {
    expect(new ClaudeStream().push('{"type":"memory_recall","x":1}')).toEqual({
      kind: "system",
      text: "memory recall event",
    });
    expect(new CodexStream().push('{"type":"thread.archived"}')).toEqual({
      kind: "system",
      text: "thread archived event",
    });
    expect(new CodexStream().push('{"type":"item.completed","item":{"type":"collab_tool_call"}}')).toEqual({
      kind: "system",
      text: "collab tool call done",
    });
  });

  it("leaves plain-text lines to be shown as they are", () => {
    expect(new ClaudeStream().push("Error: something")).toBeUndefined();
    expect(new CodexStream().push("not json {")).toBeUndefined();
  });
});
