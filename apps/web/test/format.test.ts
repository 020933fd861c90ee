import { emptyClaudeUsage, emptyCodexUsage, emptyUsage } from "@loop/shared";
import { describe, expect, it } from "vitest";
import {
  elapsedMs,
  formatBudget,
  formatBytes,
  formatClaudeUsage,
  formatCodexUsage,
  formatCost,
  formatDuration,
  formatIterations,
  formatRelative,
  formatTokens,
  formatUsage,
  pageTitle,
  STATUS_LABEL,
} from "../src/lib/format.ts";

describe("format", () => {
  it("formats durations from milliseconds to hours", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4m 05s");
    expect(formatDuration(7_380_000)).toBe("2h 03m");
    expect(formatDuration(-1)).toBe("—");
  });

  it("computes elapsed time for running and finished tasks", () => {
    const startedAt = "2026-01-01T00:00:00.000Z";
    const now = Date.parse("2026-01-01T00:01:00.000Z");
    expect(elapsedMs({ startedAt: null, finishedAt: null }, now)).toBeNull();
    expect(elapsedMs({ startedAt, finishedAt: null }, now)).toBe(60_000);
    expect(elapsedMs({ startedAt, finishedAt: "2026-01-01T00:00:10.000Z" }, now)).toBe(10_000);
  });

  it("formats relative times", () => {
    const now = Date.parse("2026-01-02T12:00:00Z");
    expect(formatRelative("2026-01-02T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-02T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2026-01-02T09:00:00Z", now)).toBe("3 h ago");
    expect(formatRelative("2025-12-01T09:00:00Z", now)).toMatch(/2025/);
  });

  it("formats token counts, bytes and costs", () => {
    expect(formatTokens(950)).toBe("950");
    expect(formatTokens(12_345)).toBe("12.3k");
    expect(formatTokens(2_000)).toBe("2k");
    expect(formatTokens(2_500_000)).toBe("2.5M");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2 KB");
    expect(formatCost(null)).toBe("cost unknown");
    expect(formatCost(0.0042)).toBe("$0.0042");
    expect(formatCost(12.5)).toBe("$12.50");
  });

  it("shows each agent's usage apart and says when nothing was reported", () => {
    expect(formatUsage(emptyUsage())).toBe("Claude no usage reported yet | Codex no usage reported yet");
    const claude = { ...emptyClaudeUsage(), inputTokens: 1000, cacheReadTokens: 11_000, outputTokens: 4500 };
    expect(formatClaudeUsage({ ...claude, costUsd: 0.12, turns: 3 })).toBe(
      "$0.12 · 12k in · 4.5k out · 3 turns",
    );
    const codex = { ...emptyCodexUsage(), inputTokens: 4321, cachedInputTokens: 2000, outputTokens: 10 };
    expect(formatCodexUsage({ ...codex, reasoningTokens: 2000 })).toBe(
      "4.3k in (2k cached) · 10 out · 2k reasoning",
    );
    // Claude's 1000 input tokens and Codex's 4321 stay on their own sides.
    expect(formatUsage({ claude: { ...claude, turns: 1 }, codex })).toBe(
      "Claude $0.00 · 12k in · 4.5k out · 1 turn | Codex 4.3k in (2k cached) · 10 out",
    );
  });
  it("shows what a budget has used", () => {
    const usage = {
      claude: { ...emptyClaudeUsage(), costUsd: 0.0787 },
      codex: { ...emptyCodexUsage(), inputTokens: 9000, outputTokens: 1000 },
    };
    expect(formatBudget({ usage, maxCostUsd: 0.5, maxCodexTokens: 20_000 })).toBe(
      "Claude $0.08 of $0.50 · Codex 10k of 20k tokens",
    );
    expect(formatBudget({ usage, maxCostUsd: null, maxCodexTokens: null })).toBeNull();
  });

  it("labels statuses and iterations", () => {
    expect(STATUS_LABEL.needs_attention).toBe("needs attention");
    expect(formatIterations({ currentIteration: 0, maxIterations: 10 })).toBe("—/10");
    expect(formatIterations({ currentIteration: 3, maxIterations: 10 })).toBe("3/10");
  });

  it("puts the unseen count in the page title", () => {
    expect(pageTitle(0)).toBe("loop");
    expect(pageTitle(3)).toBe("(3) loop");
  });
});
