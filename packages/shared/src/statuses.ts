/*
 * Every question about a task's status, answered once (trigger.dev's statuses.ts). No zod here:
 * the dashboard imports this file as a value (@loop/shared/statuses) without pulling in the schemas.
 */

export const TASK_STATUSES = [
  "queued",
  "running",
  "paused",
  "done",
  "needs_attention",
  "failed",
  "cancelled",
] as const;
type Status = (typeof TASK_STATUSES)[number];

/** States a task never leaves on its own (retry creates or resumes explicitly). */
export const TERMINAL_STATUSES = [
  "done",
  "needs_attention",
  "failed",
  "cancelled",
] as const satisfies Status[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

const TERMINAL: ReadonlySet<Status> = new Set(TERMINAL_STATUSES);

export const isTerminal = (s: Status): s is TerminalStatus => TERMINAL.has(s);
/** Running, or paused by a usage limit: the task holds the worker. */
export const isActive = (s: Status): boolean => s === "running" || s === "paused";
/** A task can be cancelled until it has ended. */
export const canCancel = (s: Status): boolean => !isTerminal(s);
/** Resume continues after the last finished agent run: a paused task, or one that ended short of done. */
export const canResume = (s: Status): boolean => s === "paused" || (isTerminal(s) && s !== "done");
/** Delete removes a task that is not running: an ended one or one still waiting in the queue. */
export const canDelete = (s: Status): boolean => isTerminal(s) || s === "queued";
/** A note goes to a task that will run again by itself: queued, running or paused. */
export const canTakeNote = (s: Status): boolean => s === "queued" || s === "running" || s === "paused";
/** Accept ends a task that stopped short of done as done: the user takes it as it is. */
export const canAccept = (s: Status): boolean => s === "needs_attention" || s === "paused" || s === "failed";
/** A worktree task's branch can be merged, squashed or pushed once nothing writes to it: not while queued or running. */
export const canLand = (s: Status): boolean => s !== "queued" && s !== "running";
/** Its worktree and branch can be discarded once it has ended (a paused task would make them again). */
export const canDiscard = (s: Status): boolean => isTerminal(s);
