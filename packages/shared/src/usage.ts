import type { ClaudeUsage, CodexUsage, Usage } from "./task.ts";

export const emptyClaudeUsage = (): ClaudeUsage => ({
  costUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  turns: 0,
  apiMs: 0,
});

export const emptyCodexUsage = (): CodexUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

export const emptyUsage = (): Usage => ({ claude: emptyClaudeUsage(), codex: emptyCodexUsage() });

/** Field by field, within each agent: Claude's numbers are only ever added to Claude's. */
export const addUsage = (a: Usage, b: Usage): Usage => ({
  claude: {
    costUsd: a.claude.costUsd + b.claude.costUsd,
    inputTokens: a.claude.inputTokens + b.claude.inputTokens,
    outputTokens: a.claude.outputTokens + b.claude.outputTokens,
    cacheReadTokens: a.claude.cacheReadTokens + b.claude.cacheReadTokens,
    cacheWriteTokens: a.claude.cacheWriteTokens + b.claude.cacheWriteTokens,
    turns: a.claude.turns + b.claude.turns,
    apiMs: a.claude.apiMs + b.claude.apiMs,
  },
  codex: {
    inputTokens: a.codex.inputTokens + b.codex.inputTokens,
    cachedInputTokens: a.codex.cachedInputTokens + b.codex.cachedInputTokens,
    cacheWriteTokens: a.codex.cacheWriteTokens + b.codex.cacheWriteTokens,
    outputTokens: a.codex.outputTokens + b.codex.outputTokens,
    reasoningTokens: a.codex.reasoningTokens + b.codex.reasoningTokens,
  },
});

/** The sum of many (a task's total over its iterations). */
export const sumUsage = (all: readonly Usage[]): Usage => all.reduce(addUsage, emptyUsage());

/** One agent's share as a whole Usage (the other agent's side zero). */
export const claudeOnly = (claude: ClaudeUsage): Usage => ({ claude, codex: emptyCodexUsage() });
export const codexOnly = (codex: CodexUsage): Usage => ({ claude: emptyClaudeUsage(), codex });

/** The tokens a Codex budget counts: input (cached included) + output, as codex reports them. */
export const codexTokens = (u: CodexUsage): number => u.inputTokens + u.outputTokens;

/**
 * A stored usage of either shape: databases from before per-agent usage kept one combined count (Claude's and Codex's
 * tokens added up), which cannot be split again. Its cost was Claude's alone (codex reports none),
 * so that is kept; the combined tokens are dropped rather than credited to the wrong agent.
 */
export function readUsage(stored: unknown): Usage {
  const s = (stored && typeof stored === "object" ? stored : {}) as Record<string, unknown>;
  const pick = <T extends Record<string, number>>(empty: T, v: unknown): T => {
    const o = (v && typeof v === "object" ? v : {}) as Record<string, unknown>;
    const out = { ...empty };
    for (const k of Object.keys(empty) as Array<keyof T>) {
      const x = o[k as string];
      if (typeof x === "number" && Number.isFinite(x)) out[k] = x as T[keyof T];
    }
    return out;
  };
  if ("claude" in s || "codex" in s) {
    return { claude: pick(emptyClaudeUsage(), s.claude), codex: pick(emptyCodexUsage(), s.codex) };
  }
  const cost = typeof s.costUsd === "number" ? s.costUsd : 0;
  return { claude: { ...emptyClaudeUsage(), costUsd: cost }, codex: emptyCodexUsage() };
}
