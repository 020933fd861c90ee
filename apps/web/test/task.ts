import { emptyUsage, type Task } from "@loop/shared";

/** A task row as the server sends it. */
export const taskRow = (id: string, o: Partial<Task> = {}): Task => ({
  id,
  title: id,
  prompt: "p",
  workingDir: "/w",
  maxIterations: 3,
  status: "queued",
  statusReason: null,
  currentIteration: 0,
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  finishedAt: null,
  usage: emptyUsage(),
  maxCostUsd: null,
  maxCodexTokens: null,
  retryOf: null,
  isolation: "none",
  worktree: null,
  continueSession: false,
  baseBranch: null,
  landed: null,
  worker: "claude",
  reviewer: "codex",
  pauseAfterIteration: false,
  ...o,
});
